// Package netns runs code and opens sockets inside a named network
// namespace without moving the rest of the process: the work runs on an OS
// thread of its own that switches namespace and back (a socket keeps the
// namespace it was created in for its whole life).
package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// Dir is where `ip netns` keeps named network namespaces.
const Dir = "/run/netns"

// Path returns the path of the named network namespace.
func Path(name string) string { return filepath.Join(Dir, name) }

// Do runs fn on an OS thread switched into the network namespace at path. A
// thread that cannot be switched back is never reused: it ends with its
// goroutine, so no other goroutine ever runs in the wrong namespace.
func Do(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restored := false
		defer func() {
			if restored {
				runtime.UnlockOSThread()
			}
		}()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			restored = true
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer self.Close()
		target, err := os.Open(path)
		if err != nil {
			restored = true
			errc <- fmt.Errorf("open network namespace %s: %w", path, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			restored = true
			errc <- fmt.Errorf("enter network namespace %s: %w", path, err)
			return
		}
		err = fn()
		restored = unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil
		errc <- err
	}()
	return <-errc
}

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
