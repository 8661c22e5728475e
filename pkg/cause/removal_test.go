package cause

import (
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// epState is a Service's endpoints with their conditions.
func epState(at float64, svc, ready, terminating, notReady string) report.Event {
	return ev(at, report.EventEndpoint, report.FieldService, svc, report.FieldReady, ready,
		report.FieldTerminating, terminating, report.FieldNotReady, notReady)
}

// TestOnlyDeletedEndpointsAreRemovals: an address that left the ready
// endpoints because its readiness probe failed (conntrack-timewait.yaml:
// the probes were dropped) is no removal, so a new connection failing
// after it is not endpoint-propagation; a terminating pod's address, or
// one gone from the endpoints, is.
func TestOnlyDeletedEndpointsAreRemovals(t *testing.T) {
	// node-2's table dropped at 30-31 s; node-1 never did.
	ct := []report.ConntrackSeries{
		{Node: "node-1", Points: []report.ConntrackPoint{{T: sec(0)}, {T: sec(30)}, {T: sec(31)}, {T: sec(40)}, {T: sec(41)}}},
		{Node: "node-2", Points: []report.ConntrackPoint{{T: sec(0)}, {T: sec(30)}, {T: sec(31), Drops: 900}, {T: sec(40)}, {T: sec(41)}}},
	}
	kp := []report.KubeProxySeries{{Node: "node-1", Syncs: []time.Duration{sec(1)}}}
	base := []report.Event{
		epState(0, "web", "198.18.1.10,198.18.2.10", "", ""),
		tgEv(0, "node-1:30080", "", StateHealthy),
		podEv(0.5, "web-2", "198.18.2.10", "node-2", report.PodReady),
	}
	timeout := fail(40, "node-1:30080", StateHealthy, OutcomeConnectTimeout, 504, false)
	for _, tc := range []struct {
		name   string
		events []report.Event
		ct     []report.ConntrackSeries
		want   string
	}{
		{"readiness lost while a table dropped: the probes were dropped", append(base,
			epState(32, "web", "198.18.1.10", "", "198.18.2.10")), ct, report.CauseDatapathDrop},
		{"readiness lost without drops: no removal to blame", append(base,
			epState(32, "web", "198.18.1.10", "", "198.18.2.10")), nil, report.CauseUnknown},
		{"a terminating pod's endpoint", append(base,
			podEv(31.9, "web-2", "198.18.2.10", "node-2", report.PodTerminating),
			epState(32, "web", "198.18.1.10", "198.18.2.10", "")), nil, report.CauseEndpointPropagation},
		{"a deleted pod's endpoint seen not ready before terminating", append(base,
			podEv(32.2, "web-2", "198.18.2.10", "node-2", report.PodTerminating),
			epState(32, "web", "198.18.1.10", "", "198.18.2.10")), nil, report.CauseEndpointPropagation},
		{"an address gone from the endpoints", append(base,
			epState(32, "web", "198.18.1.10", "", "")), nil, report.CauseEndpointPropagation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Input{Start: t0, Target: report.TargetLab, Events: tc.events, Conntrack: tc.ct, KubeProxy: kp,
				Balancer: []BalancerFailure{timeout}, BalancerLogged: true})
			r := result(40, 504, "504 Gateway Timeout", 10*time.Second, "")
			if got, reason := c.decide(r, sec(40)); got != tc.want {
				t.Errorf("cause %s (%q), want %s", got, reason, tc.want)
			}
		})
	}
}
