package dataplane

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/drillkit/drill/pkg/netns"
)

// DialFunc opens a connection to a target or health-check address. It has
// the signature of net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DirectDialer dials from the calling process's network namespace.
func DirectDialer() DialFunc {
	var d net.Dialer
	return d.DialContext
}

// NetnsDialer returns a DialFunc whose sockets are created inside the network
// namespace at nsPath (for example /run/netns/drill-lab-vpc), so connections
// leave from that namespace's addresses. Each dial locks its goroutine to an
// OS thread, switches the thread into nsPath, dials (socket and connect), and
// switches the thread back before unlocking it. If switching back fails the
// thread stays locked and exits with the goroutine, so no other goroutine
// ever runs in the lab namespace by accident.
func NetnsDialer(nsPath string) (DialFunc, error) {
	f, err := os.Open(nsPath)
	if err != nil {
		return nil, fmt.Errorf("open network namespace %s: %w (is the lab up?)", nsPath, err)
	}
	f.Close()
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return netns.Dial(ctx, nsPath, &net.Dialer{}, network, addr)
	}, nil
}
