package lab

import (
	"strings"
	"testing"
	"time"
)

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
