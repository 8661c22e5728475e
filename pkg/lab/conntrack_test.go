package lab

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestConntrackTimeoutsPerNetns writes timeouts inside a scratch network
// namespace and reads them back there; the host's own stay as they were.
func TestConntrackTimeoutsPerNetns(t *testing.T) {
	ns := netnstest.New(t, "drill-cttimeouts", false)
	hostBefore, err := os.ReadFile("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait")
	if err != nil {
		t.Skipf("no nf_conntrack: %v", err)
	}
	want := ConntrackTimeouts{TCPEstablished: 86400 * time.Second, TCPTimeWait: 30 * time.Second, TCPCloseWait: 60 * time.Second, UDP: 10 * time.Second}
	if err := setConntrackTimeouts(netns.Path(ns), want); err != nil {
		t.Fatal(err)
	}
	got, err := readConntrackTimeouts(netns.Path(ns))
	if err != nil || got != want {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	// Only the set ones change.
	if err := setConntrackTimeouts(netns.Path(ns), ConntrackTimeouts{TCPTimeWait: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	want.TCPTimeWait = 5 * time.Second
	if got, err := readConntrackTimeouts(netns.Path(ns)); err != nil || got != want {
		t.Fatalf("after setting time_wait alone: %+v, %v; want %+v", got, err, want)
	}
	if hostAfter, _ := os.ReadFile("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_time_wait"); string(hostAfter) != string(hostBefore) {
		t.Fatalf("the host's time_wait timeout changed from %q to %q", hostBefore, hostAfter)
	}
}

func TestConntrackTimeoutsConfig(t *testing.T) {
	c := ConntrackTimeouts{TCPEstablished: 24 * time.Hour, TCPTimeWait: 30 * time.Second}
	if got := strings.Join(kubeProxyFlags(c), " "); got != "--conntrack-tcp-timeout-established 24h0m0s" {
		t.Errorf("kube-proxy flags %q", got)
	}
	if got := TimeoutsString(c); got != "tcp_timeout_established=24h0m0s tcp_timeout_time_wait=30s" {
		t.Errorf("String() = %q", got)
	}
	if err := validateTimeouts(ConntrackTimeouts{UDP: 1500 * time.Millisecond, TCPTimeWait: 3000000 * time.Second}); err == nil ||
		!strings.Contains(err.Error(), "nf_conntrack_udp_timeout") || !strings.Contains(err.Error(), "nf_conntrack_tcp_timeout_time_wait") {
		t.Errorf("validate: %v; want both timeouts refused", err)
	}
}
