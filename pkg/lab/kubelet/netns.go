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
// connection never leaves the lab whichever namespace the caller runs in. A
// socket keeps the namespace it was created in for its whole life.
func dialInNetns(ctx context.Context, netns, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(netns, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// inNetns runs fn on an OS thread switched into the named network namespace.
// If the thread cannot be switched back it is not reused.
func inNetns(netns string, fn func() error) error {
	errc := make(chan error, 1)
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
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		defer self.Close()
		target, err := os.Open(netnsPath(netns))
		if err != nil {
			restored = true
			errc <- fmt.Errorf("open network namespace %s: %w", netns, err)
			return
		}
		defer target.Close()
		if err := setns(target.Fd()); err != nil {
			restored = true
			errc <- fmt.Errorf("enter network namespace %s: %w", netns, err)
			return
		}
		err = fn()
		restored = setns(self.Fd()) == nil
		errc <- err
	}()
	return <-errc
}

// setns switches the calling OS thread into the network namespace fd.
func setns(fd uintptr) error {
	return unix.Setns(int(fd), unix.CLONE_NEWNET)
}
