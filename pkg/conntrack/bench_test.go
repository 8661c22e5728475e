//go:build lab

package conntrack

import (
	"net"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// BenchmarkDump reads a table of dumpFlows UDP entries (one per destination
// port), made in a network
// namespace of its own, as the agent's state counts and a flush read it.
func BenchmarkDump(b *testing.B) {
	const dumpFlows = 2000
	ns := netnstest.New(b, "drill-dumpbench", true)
	err := netns.Do(netns.Path(ns), func() error {
		for i := range dumpFlows {
			c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 20000 + i})
			if err != nil {
				return err
			}
			_, _ = c.Write([]byte("x"))
			c.Close()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var n int
	err = netns.Do(netns.Path(ns), func() error {
		b.ResetTimer()
		for b.Loop() {
			entries, err := Dump()
			if err != nil {
				return err
			}
			n = len(entries)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if n < dumpFlows {
		b.Fatalf("dumped %d entries, want at least %d", n, dumpFlows)
	}
	b.ReportMetric(float64(n), "entries")
}
