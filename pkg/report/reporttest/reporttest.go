// Package reporttest builds the reports the tests of the report packages
// share: a failed lab run with an error burst during a rolling update and
// its aborted, passed and unjudged variants, and compares renderings with
// golden files.
package reporttest

import (
	"maps"
	"slices"
	"time"

	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// Start is when every fixture run started.
var Start = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// Summary builds a 60-second run at 100 requests/s. Seconds in
// [burstFrom, burstTo) fail `fail` requests each (502s and resets), and
// latency of every request is drawn from a fixed set of buckets scaled by
// slow (1 = baseline).
func Summary(burstFrom, burstTo int, fail uint64, slow float64) report.Summary {
	const secs, rate = 60, 100
	s := report.Summary{
		Start:    Start,
		End:      Start.Add(secs * time.Second),
		Duration: secs * time.Second,
		Codes:    map[string]uint64{},
		Errors:   map[string]uint64{},
	}
	for t := range secs {
		sec := report.Second{T: t, Requests: rate, Successes: rate, P50: Ms(4 * slow), P90: Ms(9 * slow), P99: Ms(20 * slow), Max: Ms(40 * slow),
			Codes: map[string]uint64{}, Errors: map[string]uint64{}, Backends: map[string]uint64{}}
		if t >= burstFrom && t < burstTo {
			sec.Successes = rate - fail
			resets := fail / 3
			sec.Codes["502"] = fail - resets
			sec.Codes["0"] = resets
			sec.Errors[metric.ClassHTTP] = fail - resets
			sec.Errors[metric.ClassReset] = resets
			sec.P90 = Ms(120 * slow)
			sec.P99 = Ms(200 * slow)
			sec.Max = Ms(900 * slow)
		}
		sec.Codes["200"] = sec.Successes
		// A rolling update: web-7d9f8-c is replaced by web-5c6b4-d at t=35s.
		pods := []string{"web-7d9f8-a", "web-7d9f8-b", "web-7d9f8-c"}
		if t >= 35 {
			pods[2] = "web-5c6b4-d"
		}
		for i := range sec.Successes {
			sec.Backends[pods[int(i)%3]]++
		}
		for k, v := range sec.Codes {
			s.Codes[k] += v
		}
		for k, v := range sec.Errors {
			s.Errors[k] += v
		}
		s.Requests += sec.Requests
		s.Successes += sec.Successes
		s.Timeline = append(s.Timeline, sec)
	}
	for k, v := range s.Codes {
		if v == 0 {
			delete(s.Codes, k)
		}
	}
	s.Rate = float64(s.Requests) / secs
	s.Throughput = float64(s.Successes) / secs
	s.Latency = report.Latency{Mean: Ms(6 * slow), P50: Ms(5 * slow), P90: Ms(9 * slow), P95: Ms(12 * slow),
		P99: Ms(20 * slow), P999: Ms(300 * slow), Max: Ms(900 * slow)}
	// A coarse histogram: 2 to 4 ms wide buckets, and a tail bucket.
	shares := []struct {
		lowMs, highMs float64
		share         float64
	}{{2, 4, 0.45}, {4, 6, 0.25}, {6, 8, 0.12}, {8, 10, 0.10}, {10, 14, 0.04}, {14, 18, 0.025}, {18, 22, 0.012}, {22, 26, 0.002}, {100, 1000, 0.001}}
	left := s.Requests
	for i, b := range shares {
		n := uint64(float64(s.Requests) * b.share)
		if i == len(shares)-1 {
			n = left
		}
		left -= n
		s.Histogram.Buckets = append(s.Histogram.Buckets, report.Bucket{LowNs: int64(Ms(b.lowMs * slow)), HighNs: int64(Ms(b.highMs * slow)), Count: n})
	}
	// Two named requests, 9 to 1; the failures fall on them in the same proportion.
	failed := s.Requests - s.Successes
	home := report.NamedRequests{Name: "home", Requests: s.Requests * 9 / 10, P50: Ms(5 * slow), P99: Ms(20 * slow)}
	cart := report.NamedRequests{Name: "cart", Requests: s.Requests / 10, P50: Ms(6 * slow), P99: Ms(24 * slow)}
	home.Successes = home.Requests - (failed - failed/10)
	cart.Successes = cart.Requests - failed/10
	s.ByName = []report.NamedRequests{cart, home}
	if fail > 0 {
		s.ErrorSet = []report.ErrorCount{
			{Message: "502 Bad Gateway", Count: s.Errors[metric.ClassHTTP]},
			{Message: `Get "http://127.0.0.1:18080/": read tcp 127.0.0.1:41234->127.0.0.1:18080: read: connection reset by peer`, Count: s.Errors[metric.ClassReset]},
		}
		s.Bursts = []report.Burst{{StartT: burstFrom, EndT: burstTo, Failures: fail * uint64(burstTo-burstFrom), Recovery: time.Duration(burstTo-burstFrom+2) * time.Second}}
	}
	perBackend := map[string]uint64{}
	for _, sec := range s.Timeline {
		for b, n := range sec.Backends {
			perBackend[b] += n
		}
	}
	for _, name := range slices.Sorted(maps.Keys(perBackend)) {
		n := perBackend[name]
		s.Backends = append(s.Backends, report.Backend{Name: name, Requests: n, Share: float64(n) / float64(s.Successes)})
	}
	return s
}

// Ms is v milliseconds.
func Ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func at(d time.Duration) time.Time { return Start.Add(d) }

// Failed is a failed lab run with a burst of errors during a rolling
// update: every renderer's golden file is made from it.
func Failed() *report.Report {
	s := Summary(31, 38, 30, 1)
	checks := []report.CheckResult{
		{Expr: "success_rate >= 99.9%", Metric: "success_rate", Op: ">=", Threshold: "99.9%", Actual: "96.500%", ActualValue: 0.965, Passed: false, Message: "210 of 6000 requests failed"},
		{Expr: "p99 < 500ms", Metric: "p99", Op: "<", Threshold: "500ms", Actual: "20.0ms", ActualValue: 0.020, Passed: true},
		{Expr: "status_5xx == 0", Metric: "status_5xx", Op: "==", Threshold: "0", Actual: "140", ActualValue: 140, Passed: false},
		{Expr: "conntrack_drops == 0", Metric: "conntrack_drops", Op: "==", Threshold: "0", NoData: true, Message: "no node samples on this target"},
	}
	ev := func(d time.Duration, kind report.EventKind, src, msg string, fields map[string]string) report.Event {
		return report.Event{T: d, Time: at(d), Kind: kind, Source: src, Message: msg, Fields: fields}
	}
	r := &report.Report{
		Schema:       report.Schema,
		DrillVersion: "v0.1.0",
		Scenario:     report.ScenarioInfo{Name: "rolling-update-prestop", Description: "Rolling update under load", File: "scenarios/rolling-update.yaml"},
		Target: report.Target{Kind: report.TargetLab, URL: "http://127.0.0.1:18080/",
			Details: map[string]string{"nodes": "3", "proxyMode": "ipvs", "alb.targetType": "instance"}},
		Variant:   "preStopSleep=0s",
		StartedAt: Start,
		EndedAt:   Start.Add(60 * time.Second),
		Summary:   s,
		Conntrack: Conntrack(),
		Checks:    checks,
		Events: []report.Event{
			ev(30*time.Second, report.EventFault, "rollingUpdate web", "applied", map[string]string{"maxSurge": "1", "maxUnavailable": "0"}),
			ev(30500*time.Millisecond, report.EventPod, "web-7d9f8-a", "terminating", nil),
			ev(31200*time.Millisecond, report.EventTarget, "alb tg-web", "target draining", map[string]string{"target": "198.18.1.5:30080"}),
			ev(33*time.Second, report.EventEndpoint, "web", "endpoint removed", map[string]string{"ip": "198.18.2.7"}),
			ev(45*time.Second, report.EventFault, "rollingUpdate web", "complete", nil),
		},
		Environment: report.Environment{
			Notes: []string{"ipvs (emulated: kernel has no ip_vs)"},
			Host:  report.Host{Hostname: "ci-runner-3", OS: "linux", Arch: "amd64", Kernel: "6.8.0", CPUs: 2, GoVersion: "go1.26.8"},
		},
		ResultsFile: "results.bin",
		Causes:      Causes(),
		Lifecycle:   Lifecycle(),
	}
	report.Judge(r, report.Outcome{Planned: time.Minute})
	return r
}

// Causes are the causes of Failed's 210 failures, all in its one burst.
func Causes() *report.Causes {
	total := []report.CauseCount{
		{Cause: report.CauseDeregistrationLag, Count: 150, Explanation: "the load balancer still routed to pods after they began terminating (deregistration lag up to 4.5 s): set lifecycle.preStop sleep >= 6 s"},
		{Cause: report.CauseDatapathDrop, Count: 50, Explanation: "the nodes' conntrack tables dropped new connections: raise nf_conntrack_max"},
		{Cause: report.CauseUnknown, Count: 10, Explanation: "no cause found: status 502: no load balancer record of the request (10)",
			Reasons: []report.ErrorCount{{Message: "status 502: no load balancer record of the request", Count: 10}}},
	}
	return &report.Causes{Failures: 210, Total: total, Sources: []string{"load balancer log", "pods", "target health", "conntrack"},
		Bursts: []report.BurstCauses{{StartT: 31, EndT: 38, Failures: 210, Causes: total}}}
}

// Lifecycle is the timings of Failed's rolling update: one pod replaced.
func Lifecycle() *report.Lifecycle {
	return &report.Lifecycle{
		Timings: []report.Timing{
			{Name: report.TimingRegistrationLag, Count: 1, P50: 3 * time.Second, Max: 3 * time.Second},
			{Name: report.TimingDeregistrationLag, Count: 1, P50: 4500 * time.Millisecond, Max: 4500 * time.Millisecond},
			{Name: report.TimingServedAfterDeletion, Count: 1, P50: -Ms(20), Max: -Ms(20)},
		},
		Pods: []report.PodLifecycle{
			{Pod: "web-7d9f8-a", IP: "198.18.1.5", Node: "node-1", Target: "198.18.1.5:8080", Timings: map[string]time.Duration{
				report.TimingDeregistrationLag: 4500 * time.Millisecond, report.TimingServedAfterDeletion: -Ms(20)}},
			{Pod: "web-7d9f8-c", IP: "198.18.2.9", Node: "node-2", Target: "198.18.2.9:8080", Timings: map[string]time.Duration{
				report.TimingRegistrationLag: 3 * time.Second}},
		},
	}
}

// Conntrack is two nodes sampled every second; node-1's table is
// full from 31s to 38s and drops connections then.
func Conntrack() []report.ConntrackSeries {
	var n1, n2 []report.ConntrackPoint
	for i := range 60 {
		p := report.ConntrackPoint{T: time.Duration(i) * time.Second, Count: 1024, Max: 4096}
		if i >= 31 && i <= 38 {
			p.Count, p.Drops = 4096, uint64(50*(i-30))
		}
		n1 = append(n1, p)
		n2 = append(n2, report.ConntrackPoint{T: p.T, Count: 512, Max: 4096})
	}
	return []report.ConntrackSeries{{Node: "node-1", Points: n1}, {Node: "node-2", Points: n2}}
}
