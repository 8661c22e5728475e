//go:build lab

package conntrack

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestFlushInNetns opens TCP connections to two ports inside a network
// namespace of its own (never the host's), flushes one port's entries
// through netlink and reads the table again: those are gone, the others
// are left.
func TestFlushInNetns(t *testing.T) {
	ns := netnstest.New(t, "drill-flushtest", true)

	const perPort = 5
	var ports []uint16
	for range 2 {
		addr := netnstest.Hold(t, ns)
		ap := netip.MustParseAddrPort(addr)
		ports = append(ports, ap.Port())
		for range perPort {
			c, err := netns.Dial(context.Background(), netns.Path(ns), &net.Dialer{}, "tcp4", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
		}
	}
	established := func(port uint16) int {
		t.Helper()
		n := 0
		err := netns.Do(netns.Path(ns), func() error {
			entries, err := Dump()
			for _, e := range entries {
				if e.Orig.Dst.Port() == port && e.TCPState == TCPEstablished {
					n++
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b := established(ports[0]), established(ports[1]); a != perPort || b != perPort {
		t.Fatalf("before the flush: %d and %d established entries to ports %v, want %d each", a, b, ports, perPort)
	}
	var got Flushed
	err := netns.Do(netns.Path(ns), func() error {
		var err error
		got, err = Flush([]Filter{{Proto: ProtoTCP, Port: ports[0]}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Matched != perPort || got.Deleted != perPort {
		t.Fatalf("flush of port %d: %+v, want %d matched and deleted", ports[0], got, perPort)
	}
	if a, b := established(ports[0]), established(ports[1]); a != 0 || b != perPort {
		t.Fatalf("after the flush: %d and %d established entries to ports %v, want 0 and %d", a, b, ports, perPort)
	}
	t.Logf("flushed %+v", got)
}
