package conntrack

import (
	"net/netip"
	"strings"
	"testing"
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
	e := Entry{Orig: Tuple{Proto: ProtoTCP, Src: netip.MustParseAddrPort("198.18.0.5:40000"), Dst: netip.MustParseAddrPort("198.18.0.11:31080")}}
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
