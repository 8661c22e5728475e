package run

import (
	"net/netip"
	"testing"
)

func TestGuard(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1", false, true},
		{"127.3.2.1", false, true},
		{"::1", false, true},
		{"198.18.0.11", false, true},
		{"198.19.255.254", false, true},
		{"198.20.0.1", false, false},
		{"10.0.0.1", false, false},
		{"192.0.2.1", false, false},
		{"::ffff:127.0.0.1", false, true},
		{"192.0.2.1", true, true},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := Guard(tc.remote)(netip.MustParseAddr(tc.addr))
			if (err == nil) != tc.ok {
				t.Fatalf("Guard(%v)(%s) = %v, want allowed=%v", tc.remote, tc.addr, err, tc.ok)
			}
		})
	}
}
