// Package netguard names the addresses drill sends traffic to without an
// opt-in: loopback and the lab's range.
package netguard

import "net/netip"

// LabRange is the range every lab address lies in: RFC 2544's
// benchmarking range, routed nowhere on the internet.
func LabRange() netip.Prefix { return netip.MustParsePrefix("198.18.0.0/15") }

// Local reports whether a is loopback or inside LabRange.
func Local(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || LabRange().Contains(a)
}
