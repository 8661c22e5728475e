package kubelet

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/drillkit/drill/pkg/netns"
)

// netnsPath returns the bind-mount path of the named network namespace.
func netnsPath(name string) string { return netns.Path(name) }

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
// connection never leaves the lab whichever namespace the caller runs in.
func dialInNetns(ctx context.Context, name, network, addr string) (net.Conn, error) {
	return netns.Dial(ctx, netns.Path(name), &net.Dialer{}, network, addr)
}

// inNetns runs fn on an OS thread switched into the named network namespace.
func inNetns(name string, fn func() error) error { return netns.Do(netns.Path(name), fn) }
