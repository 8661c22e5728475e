package flood

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAllowed(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"127.5.6.7", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"198.18.0.11", true},
		{"198.19.255.254", true},
		{"198.17.255.255", false},
		{"198.20.0.1", false},
		{"10.0.0.1", false},
		{"8.8.8.8", false},
		{"0.0.0.0", false},
		{"fe80::1", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := Allowed(netip.MustParseAddr(tc.addr))
			if (err == nil) != tc.ok {
				t.Fatalf("Allowed(%s) = %v, want ok=%v", tc.addr, err, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "198.18.0.0/15") {
				t.Errorf("refusal does not say what is allowed: %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{Target: netip.MustParseAddr("10.1.2.3"), Proto: "icmp", FirstPort: 65535, Ports: 2,
		Rate: MaxRate + 1, Count: -1, Duration: 2 * time.Hour, Fill: 2}.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"10.1.2.3 refused", `protocol "icmp"`, "ports", "rate", "count", "duration", "fill"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestRunRefusesOtherAddresses(t *testing.T) {
	st, err := Run(context.Background(), Config{Target: netip.MustParseAddr("192.0.2.1"), Proto: "udp", FirstPort: 9, Ports: 1,
		Rate: 10, Duration: time.Second})
	if err == nil || st.Sent != 0 {
		t.Fatalf("flood to 192.0.2.1: sent %d, err %v; want a refusal and nothing sent", st.Sent, err)
	}
}

// TestRunUDPLoopback sends to a real UDP socket on loopback and counts what
// arrives: every datagram from its own source port.
func TestRunUDPLoopback(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	const n = 300
	sources := map[int]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 16)
		for got := 0; got < n; got++ {
			_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			sources[from.(*net.UDPAddr).Port] = true
		}
	}()
	st, err := Run(context.Background(), Config{Target: netip.MustParseAddr("127.0.0.1"), Proto: "udp", FirstPort: port, Ports: 1,
		Rate: 5000, Count: n, Duration: time.Minute, ConntrackDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if st.Sent != n || st.Errors != 0 {
		t.Fatalf("stats %v: want %d sent without errors", st, n)
	}
	// Ephemeral ports are reused only after the range wraps; 300 sockets
	// in a row get distinct ones.
	if len(sources) < n*9/10 {
		t.Fatalf("%d distinct source ports for %d datagrams: want one per datagram", len(sources), n)
	}
}

func TestRunTCPLoopback(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	st, err := Run(context.Background(), Config{Target: netip.MustParseAddr("127.0.0.1"), Proto: "tcp", FirstPort: port, Ports: 1,
		Rate: 2000, Count: 100, Duration: time.Minute, ConntrackDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 100 || st.Errors != 0 {
		t.Fatalf("stats %v: want 100 attempts without errors", st)
	}
}

// TestRunPausesAtFill holds sending while the table reads as full.
func TestRunPausesAtFill(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nf_conntrack_count", "90")
	write("nf_conntrack_max", "100")
	var reports []Stats
	st, err := Run(context.Background(), Config{Target: netip.MustParseAddr("127.0.0.1"), Proto: "udp", FirstPort: 9, Ports: 1,
		Rate: 1000, Duration: 300 * time.Millisecond, Fill: 0.5, ConntrackDir: dir, Report: func(s Stats) { reports = append(reports, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 0 || !st.Paused || st.Count != 90 || st.Max != 100 {
		t.Fatalf("stats %+v: want nothing sent, paused at 90/100", st)
	}
	if len(reports) == 0 {
		t.Fatal("no report")
	}
	if _, err := Run(context.Background(), Config{Target: netip.MustParseAddr("127.0.0.1"), Proto: "udp", FirstPort: 9, Ports: 1,
		Rate: 1000, Duration: time.Second, Fill: 0.5, ConntrackDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "nf_conntrack_count") {
		t.Fatalf("fill without a conntrack count: %v", err)
	}
}
