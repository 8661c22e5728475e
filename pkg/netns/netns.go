// Package netns runs code and opens sockets inside a named network
// namespace without moving the rest of the process: the work runs on an OS
// thread of its own that switches namespace and back (a socket keeps the
// namespace it was created in for its whole life).
package netns

import (
	"context"
	"net"
	"path/filepath"
)

// Dir is where `ip netns` keeps named network namespaces.
const Dir = "/run/netns"

// Path returns the path of the named network namespace.
func Path(name string) string { return filepath.Join(Dir, name) }

// Dial connects to addr from inside the network namespace at path, with d's
// settings (a zero Dialer is fine).
func Dial(ctx context.Context, path string, d *net.Dialer, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := Do(path, func() error {
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}
