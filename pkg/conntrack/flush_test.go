package conntrack

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "proto=tcp,port=31080", want: "proto=tcp,port=31080"},
		{in: "port=80,dst=10.96.0.10,proto=udp", want: "proto=udp,port=80,dst=10.96.0.10/32"},
		{in: "dst=10.96.1.2/16", want: "dst=10.96.0.0/16"},
		{in: "all", want: "all"},
		{in: "proto=icmp", err: "want tcp, udp or sctp"},
		{in: "port=0", err: "not within 1-65535"},
		{in: "port=70000", err: "not within 1-65535"},
		{in: "dst=::1", err: "only IPv4"},
		{in: "dst=web", err: "not an IPv4 address or prefix"},
		{in: "sport=1", err: "unknown key"},
		{in: "tcp", err: "not key=value"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := ParseFilter(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseFilter(%q) = %v, %v; want an error with %q", tc.in, f, err, tc.err)
				}
				return
			}
			if err != nil || f.String() != tc.want {
				t.Fatalf("ParseFilter(%q) = %q, %v; want %q", tc.in, f, err, tc.want)
			}
			if back, err := ParseFilter(f.String()); err != nil || back != f {
				t.Fatalf("round trip of %q: %v, %v", f, back, err)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	e := Entry{Orig: Tuple{Proto: unix.IPPROTO_TCP, Src: netip.MustParseAddrPort("198.18.0.5:40000"), Dst: netip.MustParseAddrPort("198.18.0.11:31080")}}
	for _, tc := range []struct {
		f    string
		want bool
	}{
		{"proto=tcp,port=31080", true},
		{"proto=udp,port=31080", false},
		{"port=31081", false},
		{"dst=198.18.0.0/24", true},
		{"dst=198.18.0.12,port=31080", false},
		{"all", true},
	} {
		f, err := ParseFilter(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(e); got != tc.want {
			t.Errorf("%s matches %v: %v, want %v", tc.f, e.Orig, got, tc.want)
		}
	}
}

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
		got, err = Flush([]Filter{{Proto: unix.IPPROTO_TCP, Port: ports[0]}})
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
