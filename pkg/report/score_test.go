package report_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

func TestScoreRun(t *testing.T) {
	sum := func(req, ok uint64, p50, p99 time.Duration, bursts ...report.Burst) report.Summary {
		return report.Summary{Requests: req, Successes: ok, Latency: report.Latency{P50: p50, P99: p99, P999: 2 * p99}, Bursts: bursts}
	}
	pass := func(expr, m, op, th string) report.CheckResult {
		return report.CheckResult{Expr: expr, Metric: m, Op: op, Threshold: th, Passed: true}
	}
	fail := func(expr, m, op, th string) report.CheckResult {
		c := pass(expr, m, op, th)
		c.Passed = false
		return c
	}
	tests := []struct {
		name   string
		s      report.Summary
		checks []report.CheckResult
		// want are the points of availability, bursts, latency, checks.
		want  [4]float64
		total float64
	}{
		{
			// Without checks nothing was judged: the checks points are not earned.
			name:  "perfect run without checks",
			s:     sum(10000, 10000, 2*time.Millisecond, 10*time.Millisecond),
			want:  [4]float64{40, 20, 20, 0},
			total: 80,
		},
		{
			// 99.9% = 3 nines -> 3/4 of 40 = 30. Burst 3s: 0.5^(3/5) = 0.6598 -> 13.2.
			// p99 400ms vs default 500ms = 0.8x -> 1.5-0.8 = 0.7 -> 14.0.
			// Checks: 2 of 4 (no data counts as failed) -> 10.
			name: "three nines, short burst",
			s:    sum(10000, 9990, 20*time.Millisecond, 400*time.Millisecond, report.Burst{StartT: 10, EndT: 13, Failures: 10, Recovery: 3 * time.Second}),
			checks: []report.CheckResult{
				pass("success_rate >= 99%", "success_rate", ">=", "99%"),
				pass("status_5xx < 50", "status_5xx", "<", "50"),
				fail("error_rate < 0.01%", "error_rate", "<", "0.01%"),
				{Expr: "conntrack_drops == 0", Metric: "conntrack_drops", Op: "==", Threshold: "0", NoData: true},
			},
			want:  [4]float64{30, 13.2, 14, 10},
			total: 67.2,
		},
		{
			// 99% = 2 nines -> 20. Worst of burst 10s / recovery 12s = 12s:
			// 0.5^(12/5) = 0.1895 -> 3.8. Latency: p99 300ms vs check 200ms =
			// 1.5x -> 1 - 1.5/2 = 0.25 -> 5.0 (p50 at 0.2x is not the worst).
			// Checks: 0 of 2 -> 0.
			name: "two nines, long burst, slow",
			s:    sum(10000, 9900, 20*time.Millisecond, 300*time.Millisecond, report.Burst{StartT: 30, EndT: 40, Failures: 100, Recovery: 12 * time.Second}),
			checks: []report.CheckResult{
				fail("p99 < 200ms", "p99", "<", "200ms"),
				fail("p50 < 100ms", "p50", "<", "100ms"),
			},
			want:  [4]float64{20, 3.8, 5, 0},
			total: 28.8,
		},
		{
			// 99.995% is beyond 4 nines -> 40. Burst never recovered: its 10s
			// length counts -> 0.25 -> 5. p99.9 (= 2*p99 = 1s) vs check 1s
			// with <= -> 1x -> 0.5 -> 10.
			name:   "unrecovered burst at the end",
			s:      sum(200000, 199990, 20*time.Millisecond, 500*time.Millisecond, report.Burst{StartT: 50, EndT: 60, Failures: 10}),
			checks: []report.CheckResult{pass("p99.9 <= 1s", "p99.9", "<=", "1s")},
			want:   [4]float64{40, 5, 10, 20},
			total:  75,
		},
		{
			// max_latency 900ms vs a bare-seconds threshold 0.6 = 1.5x -> 0.25 -> 5.
			name:   "max latency check with a threshold in seconds",
			s:      report.Summary{Requests: 100, Successes: 100, Latency: report.Latency{Max: 900 * time.Millisecond}},
			checks: []report.CheckResult{fail("max_latency < 0.6", "max_latency", "<", "0.6")},
			want:   [4]float64{40, 20, 5, 0},
			total:  65,
		},
		{
			name:   "no requests",
			s:      report.Summary{},
			checks: []report.CheckResult{pass("p99 < 1s", "p99", "<", "1s")},
			want:   [4]float64{0, 0, 0, 0},
			total:  0,
		},
		{
			// Everything failed: 0 nines, and fast failures earn no latency
			// points (latency is weighted by the success rate).
			name:  "all failed",
			s:     sum(100, 0, time.Millisecond, time.Millisecond, report.Burst{StartT: 0, EndT: 1, Failures: 100}),
			want:  [4]float64{0, 17.4, 0, 0},
			total: 17.4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := report.ScoreRun(tt.s, tt.checks)
			if len(sc.Components) != 4 {
				t.Fatalf("components = %d, want 4", len(sc.Components))
			}
			names := []string{report.ComponentAvailability, report.ComponentBursts, report.ComponentLatency, report.ComponentChecks}
			for i, c := range sc.Components {
				if c.Name != names[i] {
					t.Errorf("component %d = %q, want %q", i, c.Name, names[i])
				}
				if c.Points != tt.want[i] {
					t.Errorf("%s points = %v, want %v (%s)", c.Name, c.Points, tt.want[i], c.Explanation)
				}
				if c.Explanation == "" {
					t.Errorf("%s has no explanation", c.Name)
				}
			}
			if sc.Total != tt.total {
				t.Errorf("total = %v, want %v", sc.Total, tt.total)
			}
		})
	}
}

func TestScoreWeightsAddUpTo100(t *testing.T) {
	if w := report.WeightAvailability + report.WeightBursts + report.WeightLatency + report.WeightChecks; w != 100 {
		t.Errorf("weights add up to %v", w)
	}
}

func TestScoreAvailabilitySeparatesNines(t *testing.T) {
	// The point of the nines mapping: 99% and 99.9% must be far apart.
	s99 := report.ScoreRun(report.Summary{Requests: 1000, Successes: 990}, nil).Components[0].Points
	s999 := report.ScoreRun(report.Summary{Requests: 1000, Successes: 999}, nil).Components[0].Points
	if s999-s99 < 9.9 {
		t.Errorf("99%% gives %v points and 99.9%% %v; want at least 10 apart", s99, s999)
	}
}

func TestScoreLatencyIgnoresOtherChecks(t *testing.T) {
	s := report.Summary{Requests: 10, Successes: 10, Latency: report.Latency{P99: 100 * time.Millisecond}}
	checks := []report.CheckResult{
		{Expr: "status_5xx < 5", Metric: "status_5xx", Op: "<", Threshold: "5", Passed: true},
		{Expr: "p99 > 1ms", Metric: "p99", Op: ">", Threshold: "1ms", Passed: true},
	}
	c := report.ScoreRun(s, checks).Components[2]
	if !strings.Contains(c.Explanation, "default budget") || math.Abs(c.Value-1) > 1e-12 {
		t.Errorf("latency = %v (%s), want the default budget used and full value", c.Value, c.Explanation)
	}
}
