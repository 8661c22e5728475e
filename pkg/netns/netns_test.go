//go:build lab

package netns_test

import (
	"context"
	"net"
	"os"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestDialReachesOnlyInsideTheNamespace starts a listener inside a fresh
// network namespace: Dial reaches it, a plain dial from the process does not,
// and the process stays in its own namespace afterwards.
func TestDialReachesOnlyInsideTheNamespace(t *testing.T) {
	name := netnstest.New(t, "drilltest-netns", false)
	before, _ := os.Readlink("/proc/self/ns/net")
	var l net.Listener
	if err := netns.Do(netns.Path(name), func() error {
		var err error
		l, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := netns.Dial(context.Background(), netns.Path(name), &net.Dialer{}, "tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("dial inside the namespace: %v", err)
	}
	c.Close()
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the namespace's listener answered a dial from the host namespace")
	}
	if after, _ := os.Readlink("/proc/self/ns/net"); after != before {
		t.Fatalf("the process moved from %s to %s", before, after)
	}
	if err := netns.Do(netns.Path("no-such-namespace-"+name), func() error { return nil }); err == nil {
		t.Fatal("Do accepted a missing namespace")
	}
}
