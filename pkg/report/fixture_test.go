package report

import (
	"time"

	"github.com/drillkit/drill/pkg/metric"
)

var fixtureStart = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// fixtureSummary builds a 60-second run at 100 requests/s. Seconds in
// [burstFrom, burstTo) fail `fail` requests each (502s and resets), and
// latency of every request is drawn from a fixed set of buckets scaled by
// slow (1 = baseline).
func fixtureSummary(burstFrom, burstTo int, fail uint64, slow float64) Summary {
	const secs, rate = 60, 100
	s := Summary{
		Start:    fixtureStart,
		End:      fixtureStart.Add(secs * time.Second),
		Duration: secs * time.Second,
		Codes:    map[string]uint64{},
		Errors:   map[string]uint64{},
	}
	for t := range secs {
		sec := Second{T: t, Requests: rate, Successes: rate, P50: ms(4 * slow), P99: ms(20 * slow), Max: ms(40 * slow),
			Codes: map[string]uint64{}, Errors: map[string]uint64{}, Backends: map[string]uint64{}}
		if t >= burstFrom && t < burstTo {
			sec.Successes = rate - fail
			resets := fail / 3
			sec.Codes["502"] = fail - resets
			sec.Codes["0"] = resets
			sec.Errors[metric.ClassHTTP] = fail - resets
			sec.Errors[metric.ClassReset] = resets
			sec.P99 = ms(200 * slow)
			sec.Max = ms(900 * slow)
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
	s.Latency = Latency{Mean: ms(6 * slow), P50: ms(5 * slow), P90: ms(9 * slow), P95: ms(12 * slow),
		P99: ms(20 * slow), P999: ms(300 * slow), Max: ms(900 * slow)}
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
		s.Histogram.Buckets = append(s.Histogram.Buckets, Bucket{LowNs: int64(ms(b.lowMs * slow)), HighNs: int64(ms(b.highMs * slow)), Count: n})
	}
	// Two named requests, 9 to 1; the failures fall on them in the same proportion.
	failed := s.Requests - s.Successes
	home := NamedRequests{Name: "home", Requests: s.Requests * 9 / 10, P50: ms(5 * slow), P99: ms(20 * slow)}
	cart := NamedRequests{Name: "cart", Requests: s.Requests / 10, P50: ms(6 * slow), P99: ms(24 * slow)}
	home.Successes = home.Requests - (failed - failed/10)
	cart.Successes = cart.Requests - failed/10
	s.ByName = []NamedRequests{cart, home}
	if fail > 0 {
		s.ErrorSet = []ErrorCount{
			{Message: "502 Bad Gateway", Count: s.Errors[metric.ClassHTTP]},
			{Message: `Get "http://127.0.0.1:18080/": read tcp 127.0.0.1:41234->127.0.0.1:18080: read: connection reset by peer`, Count: s.Errors[metric.ClassReset]},
		}
		s.Bursts = []Burst{{StartT: burstFrom, EndT: burstTo, Failures: fail * uint64(burstTo-burstFrom), Recovery: time.Duration(burstTo-burstFrom+2) * time.Second}}
	}
	perBackend := map[string]uint64{}
	for _, sec := range s.Timeline {
		for b, n := range sec.Backends {
			perBackend[b] += n
		}
	}
	for _, name := range sortedKeys(perBackend) {
		n := perBackend[name]
		s.Backends = append(s.Backends, Backend{Name: name, Requests: n, Share: float64(n) / float64(s.Successes)})
	}
	return s
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func at(d time.Duration) time.Time { return fixtureStart.Add(d) }

// fixtureReport is a failed lab run with a burst of errors during a rolling
// update: every renderer's golden file is made from it.
func fixtureReport() *Report {
	s := fixtureSummary(31, 38, 30, 1)
	checks := []CheckResult{
		{Expr: "success_rate >= 99.9%", Metric: "success_rate", Op: ">=", Threshold: "99.9%", Actual: "96.500%", ActualValue: 0.965, Passed: false, Message: "210 of 6000 requests failed"},
		{Expr: "p99 < 500ms", Metric: "p99", Op: "<", Threshold: "500ms", Actual: "20.0ms", ActualValue: 0.020, Passed: true},
		{Expr: "status_5xx == 0", Metric: "status_5xx", Op: "==", Threshold: "0", Actual: "140", ActualValue: 140, Passed: false},
		{Expr: "conntrack_drops == 0", Metric: "conntrack_drops", Op: "==", Threshold: "0", NoData: true, Message: "no node samples on this target"},
	}
	ev := func(d time.Duration, kind EventKind, src, msg string, fields map[string]string) Event {
		return Event{T: d, Time: at(d), Kind: kind, Source: src, Message: msg, Fields: fields}
	}
	r := &Report{
		Schema:       Schema,
		DrillVersion: "v0.1.0",
		Scenario:     ScenarioInfo{Name: "rolling-update-prestop", Description: "Rolling update under load", File: "scenarios/rolling-update.yaml"},
		Target: Target{Kind: TargetLab, URL: "http://127.0.0.1:18080/",
			Details: map[string]string{"nodes": "3", "proxyMode": "ipvs", "alb.targetType": "instance"}},
		Variant:   "preStopSleep=0s",
		StartedAt: fixtureStart,
		EndedAt:   fixtureStart.Add(60 * time.Second),
		Summary:   s,
		Conntrack: fixtureConntrack(),
		Checks:    checks,
		Events: []Event{
			ev(30*time.Second, EventFault, "rollingUpdate web", "applied", map[string]string{"maxSurge": "1", "maxUnavailable": "0"}),
			ev(30500*time.Millisecond, EventPod, "web-7d9f8-a", "terminating", nil),
			ev(31200*time.Millisecond, EventTarget, "alb tg-web", "target draining", map[string]string{"target": "198.18.1.5:30080"}),
			ev(33*time.Second, EventEndpoint, "web", "endpoint removed", map[string]string{"ip": "198.18.2.7"}),
			ev(45*time.Second, EventFault, "rollingUpdate web", "complete", nil),
		},
		Environment: Environment{
			Notes: []string{"ipvs (emulated: kernel has no ip_vs)"},
			Host:  Host{Hostname: "ci-runner-3", OS: "linux", Arch: "amd64", Kernel: "6.8.0", CPUs: 2, GoVersion: "go1.26.8"},
		},
		ResultsFile: "results.bin",
	}
	Judge(r, Outcome{Planned: time.Minute})
	return r
}

// fixtureConntrack is two nodes sampled every second; node-1's table is
// full from 31s to 38s and drops connections then.
func fixtureConntrack() []ConntrackSeries {
	var n1, n2 []ConntrackPoint
	for i := range 60 {
		p := ConntrackPoint{T: time.Duration(i) * time.Second, Count: 1024, Max: 4096}
		if i >= 31 && i <= 38 {
			p.Count, p.Drops = 4096, uint64(50*(i-30))
		}
		n1 = append(n1, p)
		n2 = append(n2, ConntrackPoint{T: p.T, Count: 512, Max: 4096})
	}
	return []ConntrackSeries{{Node: "node-1", Points: n1}, {Node: "node-2", Points: n2}}
}
