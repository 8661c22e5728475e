package cause

import (
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// termEv is a container's killing, prestop-failed or exited change.
func termEv(at float64, pod, change string, fields ...string) report.Event {
	return ev(at, report.EventPod, append([]string{report.FieldPod, pod, report.FieldChange, change, report.FieldContainer, "web"}, fields...)...)
}

func terminatingEv(at float64, pod string, grace string) report.Event {
	return ev(at, report.EventPod, report.FieldPod, pod, report.FieldChange, report.PodTerminating, report.FieldGrace, grace)
}

// sigtermAt is the termination message's SIGTERM time at offset s.
func sigtermAt(s float64) string { return t0.Add(sec(s)).Format(time.RFC3339Nano) }

func TestPreStopAndSigtermToExit(t *testing.T) {
	type want struct {
		preStop, sigtermToExit time.Duration
		hasPreStop, hasExit    bool
	}
	for _, tc := range []struct {
		name   string
		events []report.Event
		want   want
	}{
		{"no hook: SIGTERM at the Killing event, the exit is all SIGTERM → exit", []report.Event{
			terminatingEv(10, "p", "30"), termEv(10.02, "p", report.PodKilling),
			termEv(10.5, "p", report.PodExited, report.FieldPreStop, "none"),
		}, want{0, sec(0.48), true, true}},
		{"no hook, the app says when it got SIGTERM", []report.Event{
			terminatingEv(10, "p", "30"), termEv(10.02, "p", report.PodKilling),
			termEv(12, "p", report.PodExited, report.FieldPreStop, "none", report.FieldSigterm, sigtermAt(10.03)),
		}, want{0, sec(1.97), true, true}},
		{"sleep action: SIGTERM after the sleep from the Killing event", []report.Event{
			terminatingEv(10, "p", "30"), termEv(10.1, "p", report.PodKilling),
			termEv(25.4, "p", report.PodExited, report.FieldPreStop, "sleep", report.FieldPreStopSleep, "15"),
		}, want{sec(15), sec(0.3), true, true}},
		{"sleep action longer than the grace period is cut at it", []report.Event{
			terminatingEv(10, "p", "5"), termEv(10, "p", report.PodKilling),
			termEv(17, "p", report.PodExited, report.FieldPreStop, "sleep", report.FieldPreStopSleep, "60"),
		}, want{sec(5), sec(2), true, true}},
		{"exec hook, the app says when it got SIGTERM", []report.Event{
			terminatingEv(10, "p", "30"), termEv(10.1, "p", report.PodKilling),
			termEv(25.6, "p", report.PodExited, report.FieldPreStop, "exec", report.FieldSigterm, sigtermAt(25.2)),
		}, want{sec(15.1), sec(0.4), true, true}},
		{"exec hook failed: SIGTERM at the FailedPreStopHook event", []report.Event{
			terminatingEv(10, "p", "30"), termEv(10.1, "p", report.PodKilling), termEv(10.3, "p", report.PodPreStopFailed),
			termEv(11.3, "p", report.PodExited, report.FieldPreStop, "exec"),
		}, want{sec(0.2), sec(1), true, true}},
		{"exec hook, the app silent: only the sum is known", []report.Event{
			terminatingEv(10, "p", "30"), termEv(10.1, "p", report.PodKilling),
			termEv(25.6, "p", report.PodExited, report.FieldPreStop, "exec"),
		}, want{}},
		{"without a Killing event the preStop starts at the deletion", []report.Event{
			terminatingEv(10, "p", "30"),
			termEv(21, "p", report.PodExited, report.FieldPreStop, "sleep", report.FieldPreStopSleep, "10"),
		}, want{sec(10), sec(1), true, true}},
		{"a Killing event of an earlier restart does not count", []report.Event{
			termEv(3, "p", report.PodKilling), terminatingEv(10, "p", "30"), termEv(10.2, "p", report.PodKilling),
			termEv(12.2, "p", report.PodExited, report.FieldPreStop, "sleep", report.FieldPreStopSleep, "2"),
		}, want{sec(2), 0, true, true}},
		{"an exit before any deletion is a crash, not a termination", []report.Event{
			termEv(3, "p", report.PodExited, report.FieldPreStop, "none"),
		}, want{}},
		{"a crash before the deletion, the container not restarted, is no termination", []report.Event{
			termEv(3, "p", report.PodExited, report.FieldPreStop, "none"), terminatingEv(10, "p", "30"),
		}, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Input{Start: t0, Target: report.TargetLab, Events: tc.events})
			values := Values(c.Lifecycle())
			check := func(name string, want time.Duration, has bool) {
				t.Helper()
				got, ok := values[name+SuffixMax]
				if ok != has {
					t.Fatalf("%s measured %v, want %v (values %v)", name, ok, has, values)
				}
				if has && (got-want.Seconds() > 1e-6 || want.Seconds()-got > 1e-6) {
					t.Errorf("%s = %vs, want %v", name, got, want)
				}
			}
			check(report.TimingPreStopDuration, tc.want.preStop, tc.want.hasPreStop)
			check(report.TimingSigtermToExit, tc.want.sigtermToExit, tc.want.hasExit)
		})
	}
}

// TestPreStopOverPods takes the p50 and maximum over pods, and a pod's
// longest container.
func TestPreStopOverPods(t *testing.T) {
	var events []report.Event
	for i, sleep := range []string{"2", "5", "9"} {
		p := string(rune('a' + i))
		events = append(events, terminatingEv(10, p, "30"),
			termEv(20, p, report.PodExited, report.FieldPreStop, "sleep", report.FieldPreStopSleep, sleep))
	}
	side := ev(20, report.EventPod, report.FieldPod, "a", report.FieldChange, report.PodExited, report.FieldContainer, "sidecar", report.FieldPreStop, "sleep", report.FieldPreStopSleep, "7")
	events = append(events, side)
	lc := New(Input{Start: t0, Target: report.TargetLab, Events: events}).Lifecycle()
	var got *report.Timing
	for i := range lc.Timings {
		if lc.Timings[i].Name == report.TimingPreStopDuration {
			got = &lc.Timings[i]
		}
	}
	if got == nil || got.Count != 3 || got.P50 != sec(7) || got.Max != sec(9) {
		t.Fatalf("prestop_duration %+v, want 3 pods, p50 7 s (pod a's sidecar), max 9 s", got)
	}
}

// TestExitBoundedByFinishedAt takes the second after finishedAt as the
// exit when the kubelet's status update was seen later.
func TestExitBoundedByFinishedAt(t *testing.T) {
	finished := t0.Add(sec(10)).Format(time.RFC3339)
	for _, tc := range []struct {
		seen float64
		want time.Duration
	}{{12.5, sec(1)}, {10.6, sec(0.6)}} {
		events := []report.Event{terminatingEv(9.9, "p", "30"), termEv(10, "p", report.PodKilling),
			termEv(tc.seen, "p", report.PodExited, report.FieldPreStop, "none", report.FieldFinishedAt, finished)}
		got := Values(New(Input{Start: t0, Target: report.TargetLab, Events: events}).Lifecycle())[report.TimingSigtermToExit+SuffixMax]
		if got != tc.want.Seconds() {
			t.Errorf("exit seen at %vs, finished in the 10th: sigterm_to_exit %vs, want %v", tc.seen, got, tc.want)
		}
	}
}

// TestDeregistrationLagQuotesThePreStop: the explanation of
// deregistration-lag says how long the pods' preStop lasted when it was
// measured.
func TestDeregistrationLagQuotesThePreStop(t *testing.T) {
	events := append(rollingUpdate(),
		ev(5.05, report.EventPod, report.FieldPod, "web-a", report.FieldChange, report.PodKilling, report.FieldContainer, "echo"),
		ev(5.4, report.EventPod, report.FieldPod, "web-a", report.FieldChange, report.PodExited, report.FieldContainer, "echo", report.FieldPreStop, "none"))
	c := New(Input{Start: t0, Target: report.TargetLab, Events: events, BalancerLogged: true,
		Balancer: []BalancerFailure{fail(6.5, "198.18.1.10:8080", StateHealthy, OutcomeConnectRefused, 502, false)}})
	c.Add(result(6.5, 502, "502 Bad Gateway", 3*time.Millisecond, ""))
	causes := c.Causes(nil, c.Lifecycle())
	if len(causes.Total) != 1 || !strings.Contains(causes.Total[0].Explanation, "preStop (measured up to 0.0 s) shorter than the deregistration propagation") {
		t.Errorf("causes %+v, want deregistration-lag quoting the measured preStop", causes.Total)
	}
}
