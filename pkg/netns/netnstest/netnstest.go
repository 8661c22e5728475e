// Package netnstest gives tests a scratch network namespace of their own,
// never the host's.
package netnstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
)

// New creates the network namespace <prefix>-<pid> with loopback up and
// deletes it when the test ends. With tracked, a rule that uses conntrack is
// loaded in it (nftables), so that the kernel tracks the namespace's
// connections. It needs root: without it the test is skipped, or fails in CI.
func New(t testing.TB, prefix string, tracked bool) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to create a network namespace")
		}
		t.Skip("needs root to create a network namespace")
	}
	name := fmt.Sprintf("%s-%d", prefix, os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	run("ip", "-n", name, "link", "set", "lo", "up")
	if tracked {
		rules := filepath.Join(t.TempDir(), "ct.nft")
		table := strings.ReplaceAll(prefix, "-", "")
		if err := os.WriteFile(rules, []byte("table inet "+table+" {\n chain out {\n  type filter hook output priority 0; policy accept;\n  ct state new counter\n }\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		run("ip", "netns", "exec", name, "nft", "-f", rules)
	}
	return name
}

// Hold listens on TCP 127.0.0.1 inside the network namespace name, accepts
// every connection and keeps it open until the test ends; it returns the
// listening address.
func Hold(t testing.TB, name string) string {
	t.Helper()
	var l net.Listener
	if err := netns.Do(netns.Path(name), func() error {
		var err error
		l, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return l.Addr().String()
}
