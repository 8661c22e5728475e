package alb

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
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
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			c, err := dialInNetns(ctx, nsPath, network, addr)
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}, nil
}

func dialInNetns(ctx context.Context, nsPath, network, addr string) (net.Conn, error) {
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
		return nil, fmt.Errorf("open own network namespace: %w", err)
	}
	defer self.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		restored = true
		return nil, fmt.Errorf("open network namespace %s: %w", nsPath, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		restored = true
		return nil, fmt.Errorf("enter network namespace %s: %w", nsPath, err)
	}
	var d net.Dialer
	c, dialErr := d.DialContext(ctx, network, addr)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err == nil {
		restored = true
	}
	return c, dialErr
}
