//go:build lab

package lab

import (
	"os"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestConntrackTimeoutsPerNetns writes timeouts inside a scratch network
// namespace and reads them back there; the host's own stay as they were.
func TestConntrackTimeoutsPerNetns(t *testing.T) {
	t.Parallel()
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
