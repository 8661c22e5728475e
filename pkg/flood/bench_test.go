package flood

import (
	"net/netip"
	"testing"
)

// BenchmarkSend measures one datagram or connection attempt from a new
// socket to loopback: the cost that bounds a flooder's rate on one core.
func BenchmarkSend(b *testing.B) {
	for _, proto := range []string{"udp", "tcp"} {
		b.Run(proto, func(b *testing.B) {
			s := sender{proto: proto, target: netip.MustParseAddr("127.0.0.1"), first: 20000, ports: 1000}
			for b.Loop() {
				if err := s.send(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
