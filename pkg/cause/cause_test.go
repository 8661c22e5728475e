package cause

import (
	"net/http"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/report"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func ev(at float64, kind report.EventKind, fields ...string) report.Event {
	f := map[string]string{}
	for i := 0; i+1 < len(fields); i += 2 {
		f[fields[i]] = fields[i+1]
	}
	return report.Event{T: sec(at), Time: t0.Add(sec(at)), Kind: kind, Fields: f}
}

func podEv(at float64, name, ip, node, change string) report.Event {
	return ev(at, report.EventPod, report.FieldPod, name, report.FieldIP, ip, report.FieldNode, node, report.FieldChange, change)
}

func epEv(at float64, svc string, ready ...string) report.Event {
	return ev(at, report.EventEndpoint, report.FieldService, svc, report.FieldReady, strings.Join(ready, ","))
}

func tgEv(at float64, target, from, to string) report.Event {
	return ev(at, report.EventTarget, report.FieldTarget, target, report.FieldTargetGroup, "tg-web", report.FieldFrom, from, report.FieldTo, to)
}

// rollingUpdate is the timeline of rolling-update-no-prestop: ip targets,
// old pod web-a (198.18.1.10) deleted at 5 s, its target draining only at
// 9.5 s; new pod web-b ready at 4 s, its target healthy at 7 s.
func rollingUpdate() []report.Event {
	return []report.Event{
		epEv(0, "web", "198.18.1.10"),
		tgEv(0, "198.18.1.10:8080", "", StateHealthy),
		podEv(2, "web-b", "", "node-2", report.PodCreated),
		podEv(4, "web-b", "198.18.2.20", "node-2", report.PodReady),
		tgEv(4.2, "198.18.2.20:8080", "", StateInitial),
		epEv(4.1, "web", "198.18.1.10", "198.18.2.20"),
		podEv(5, "web-a", "198.18.1.10", "node-1", report.PodTerminating),
		epEv(5.1, "web", "198.18.2.20"),
		tgEv(7, "198.18.2.20:8080", StateInitial, StateHealthy),
		tgEv(9.5, "198.18.1.10:8080", StateHealthy, StateDraining),
		podEv(6, "web-a", "198.18.1.10", "node-1", report.PodDeleted),
		tgEv(19.5, "198.18.1.10:8080", StateDraining, ""),
	}
}

// selectorSwitch: instance targets on two nodes; blue pods removed from
// the endpoints at 10 s (switch) and deleted at 20 s.
func selectorSwitch() []report.Event {
	return []report.Event{
		epEv(0, "web", "198.18.1.10", "198.18.2.10"),
		tgEv(0, "node-1:30080", "", StateHealthy),
		tgEv(0, "node-2:30080", "", StateHealthy),
		epEv(10, "web", "198.18.1.30", "198.18.2.30"),
		podEv(20, "web-blue-1", "198.18.1.10", "node-1", report.PodTerminating),
		podEv(20, "web-blue-2", "198.18.2.10", "node-2", report.PodTerminating),
	}
}

// overflow: instance targets; node-1's conntrack table dropped new
// connections between 8 s and 9 s, and at 20-21 s both pods were unready.
func overflow() ([]report.Event, []report.ConntrackSeries) {
	events := []report.Event{
		epEv(0, "web", "198.18.1.10", "198.18.2.10"),
		tgEv(0, "node-1:30080", "", StateHealthy),
		epEv(20, "web"),
		epEv(24, "web", "198.18.1.10", "198.18.2.10"),
	}
	ct := []report.ConntrackSeries{{Node: "node-1", Points: []report.ConntrackPoint{{T: sec(7), Count: 100, Max: 4096}, {T: sec(8), Count: 4096, Max: 4096, Drops: 0}, {T: sec(9), Count: 4096, Max: 4096, Drops: 3000}, {T: sec(10), Count: 4096, Max: 4096}}}}
	return events, ct
}

func result(at float64, code uint16, errMsg string, lat time.Duration, backend string) *vegeta.Result {
	r := &vegeta.Result{Timestamp: t0.Add(sec(at)), Code: code, Error: errMsg, Latency: lat, Headers: http.Header{}}
	if backend != "" {
		r.Headers.Set("X-Drill-Backend", backend)
	}
	return r
}

func fail(at float64, target, state, outcome string, status int, reused bool) BalancerFailure {
	return BalancerFailure{Time: t0.Add(sec(at) + 2*time.Millisecond), Target: target, TargetState: state, Status: status, Outcome: outcome, Reused: reused}
}

func TestDecide(t *testing.T) {
	ru := rollingUpdate()
	ss := selectorSwitch()
	ovEvents, ovCT := overflow()
	tests := []struct {
		name     string
		target   report.TargetKind
		events   []report.Event
		ct       []report.ConntrackSeries
		kp       []report.KubeProxySeries
		balancer []BalancerFailure
		logged   bool
		res      *vegeta.Result
		want     string
		reason   string
	}{
		{name: "refused by a pod deleted before its target drained", target: report.TargetLab, events: ru, logged: true,
			balancer: []BalancerFailure{fail(6.5, "198.18.1.10:8080", StateHealthy, OutcomeConnectRefused, 502, false)},
			res:      result(6.5, 502, "502 Bad Gateway", 3*time.Millisecond, ""), want: report.CauseDeregistrationLag},
		{name: "a pod's address gone: connect timeout", target: report.TargetLab, events: ru, logged: true,
			balancer: []BalancerFailure{fail(8, "198.18.1.10:8080", StateHealthy, OutcomeConnectTimeout, 504, false)},
			res:      result(8, 504, "504 Gateway Timeout", 10*time.Second, ""), want: report.CauseDeregistrationLag},
		{name: "kept-alive connection to a draining target", target: report.TargetLab, events: ru, logged: true,
			balancer: []BalancerFailure{fail(10, "198.18.1.10:8080", StateDraining, OutcomeTargetClosed, 502, true)},
			res:      result(10, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseConnectionReuse},
		{name: "new target failing open before it is ready", target: report.TargetLab, events: ru, logged: true,
			balancer: []BalancerFailure{fail(3.5, "198.18.2.20:8080", StateInitial, OutcomeConnectRefused, 502, false)},
			res:      result(3.5, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseBeforeReady},
		{name: "no registered target", target: report.TargetLab, events: ru, logged: true,
			balancer: []BalancerFailure{{Time: t0.Add(sec(1)), Status: 503, Outcome: OutcomeNoTargets}},
			res:      result(1, 503, "503 Service Unavailable", time.Millisecond, ""), want: report.CauseBeforeReady},
		{name: "the app's own 500", target: report.TargetLab, events: ru, logged: true,
			balancer: []BalancerFailure{{Time: t0.Add(sec(12)), Target: "198.18.2.20:8080", Status: 500, TargetStatus: 500, Outcome: OutcomeOK}},
			res:      result(12, 500, "500 Internal Server Error", time.Millisecond, "web-b"), want: report.CauseAppError},
		{name: "url target: a 500 naming its backend", target: report.TargetURL,
			res: result(1, 500, "500 Internal Server Error", time.Millisecond, "echo-1"), want: report.CauseAppError},
		{name: "url target: a reset", target: report.TargetURL,
			res: result(1, 0, "read: connection reset by peer", time.Millisecond, ""), want: report.CauseUnknown, reason: "url target: no cluster timeline to join"},
		{name: "retired blue on a kept-alive connection", target: report.TargetLab, events: ss, logged: true,
			balancer: []BalancerFailure{fail(20.1, "node-1:30080", StateHealthy, OutcomeTargetClosed, 502, true)},
			res:      result(20.1, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseConnectionReuse},
		{name: "new connection before kube-proxy synced the switch", target: report.TargetLab, events: ss, logged: true,
			kp:       []report.KubeProxySeries{{Node: "node-2", Syncs: []time.Duration{sec(1), sec(12)}}},
			balancer: []BalancerFailure{fail(10.5, "node-2:30080", StateHealthy, OutcomeConnectRefused, 502, false)},
			res:      result(10.5, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseEndpointPropagation},
		{name: "new connection after kube-proxy synced", target: report.TargetLab, events: ss, logged: true,
			kp:       []report.KubeProxySeries{{Node: "node-2", Syncs: []time.Duration{sec(1), sec(10.2)}}},
			balancer: []BalancerFailure{fail(10.5, "node-2:30080", StateHealthy, OutcomeConnectRefused, 502, false)},
			res:      result(10.5, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseUnknown,
			reason: "node node-2: new connection failed after kube-proxy synced the removal of 198.18.2.10"},
		{name: "connect timeout while the node's table dropped", target: report.TargetLab, events: ovEvents, ct: ovCT, logged: true,
			balancer: []BalancerFailure{fail(8.5, "node-1:30080", StateHealthy, OutcomeConnectTimeout, 504, false)},
			res:      result(8.5, 504, "504 Gateway Timeout", 10*time.Second, ""), want: report.CauseDatapathDrop},
		{name: "no endpoint ready after probes were dropped", target: report.TargetLab, events: ovEvents, ct: ovCT, logged: true,
			balancer: []BalancerFailure{fail(21, "node-1:30080", StateUnhealthy, OutcomeConnectRefused, 502, false)},
			res:      result(21, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseDatapathDrop},
		{name: "a client timeout with drops and no record", target: report.TargetKube, events: ovEvents, ct: ovCT,
			res: result(8.2, 0, "Get \"http://lb/\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)", 15*time.Second, ""), want: report.CauseDatapathDrop},
		{name: "kube target without a log: a pod terminating with its target healthy", target: report.TargetKube, events: ru,
			res: result(6, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseDeregistrationLag},
		{name: "a record missing from the log", target: report.TargetLab, events: ovEvents, logged: true,
			res: result(40, 502, "502 Bad Gateway", time.Millisecond, ""), want: report.CauseUnknown, reason: "status 502: no load balancer record of the request"},
		{name: "cancelled at the end of the run", target: report.TargetLab, events: ru, logged: true,
			res: result(59, 0, "drill: run stopped before the response", time.Second, ""), want: report.CauseUnknown, reason: "cancelled when the run stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Input{Start: t0, Target: tt.target, Events: tt.events, Conntrack: tt.ct, KubeProxy: tt.kp,
				Balancer: tt.balancer, BalancerLogged: tt.logged, BackendHeader: "X-Drill-Backend"})
			got, reason := c.decide(tt.res, tt.res.Timestamp.Sub(t0))
			if got != tt.want || tt.reason != "" && reason != tt.reason {
				t.Errorf("cause = %s (%q), want %s (%q)", got, reason, tt.want, tt.reason)
			}
		})
	}
}
