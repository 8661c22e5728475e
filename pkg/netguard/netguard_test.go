package netguard

import (
	"net/netip"
	"testing"
)

func TestLocal(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "::ffff:127.0.0.1": true,
		"198.18.0.2": true, "198.19.255.255": true,
		"198.17.255.255": false, "198.20.0.0": false, "10.0.0.1": false, "8.8.8.8": false,
	} {
		if got := Local(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Local(%s) = %v, want %v", addr, got, want)
		}
	}
}
