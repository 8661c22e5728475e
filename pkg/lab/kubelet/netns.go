package kubelet

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// netnsDir is where `ip netns` keeps named network namespaces.
const netnsDir = "/run/netns"

// netnsPath returns the bind-mount path of the named network namespace.
func netnsPath(name string) string { return filepath.Join(netnsDir, name) }

// runIP runs the ip command with args and returns its error with stderr.
func runIP(ctx context.Context, args ...string) error {
	_, err := outputIP(ctx, args...)
	return err
}

// outputIP runs the ip command with args and returns its stdout.
func outputIP(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// nsenterArgv returns argv prefixed so that it runs in the named network
// namespace (network namespace only: the host mount namespace stays).
func nsenterArgv(netns string, argv []string) []string {
	return append([]string{"nsenter", "--net=" + netnsPath(netns), "--"}, argv...)
}

// dialInNetns dials addr from inside the named network namespace, so the
// connection never leaves the lab whichever namespace the caller runs in. The
// socket is created on an OS thread switched into the namespace; a socket
// keeps its namespace for its whole life.
func dialInNetns(ctx context.Context, netns, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		restored := false
		defer func() {
			// A thread left in another namespace must die with its goroutine.
			if restored {
				runtime.UnlockOSThread()
			}
		}()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			restored = true
			ch <- result{err: fmt.Errorf("open own network namespace: %w", err)}
			return
		}
		defer self.Close()
		target, err := os.Open(netnsPath(netns))
		if err != nil {
			restored = true
			ch <- result{err: fmt.Errorf("open network namespace %s: %w", netns, err)}
			return
		}
		defer target.Close()
		if err := setns(target.Fd()); err != nil {
			restored = true
			ch <- result{err: fmt.Errorf("enter network namespace %s: %w", netns, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		restored = setns(self.Fd()) == nil
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// setns switches the calling OS thread into the network namespace fd.
func setns(fd uintptr) error {
	return unix.Setns(int(fd), unix.CLONE_NEWNET)
}
