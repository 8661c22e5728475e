package compare

import (
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// recordedRun feeds a minute of synthetic results at 200 requests/s through
// the real metric recorder: log-normal latencies around 8ms scaled by slow,
// and, during [failFrom, failTo), every fifth request answered 502.
func recordedRun(t *testing.T, seed uint64, slow float64, failFrom, failTo int) *report.Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	start := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	rec := metric.New(metric.Options{Start: start, BackendHeader: "X-Backend"})
	backends := []string{"web-a", "web-b", "web-c"}
	for i := range 12000 {
		ts := start.Add(time.Duration(i) * 5 * time.Millisecond)
		sec := i / 200
		lat := time.Duration(slow * 8e6 * math.Exp(0.5*rng.NormFloat64()))
		res := &vegeta.Result{Timestamp: ts, Latency: lat, Code: 200, Headers: http.Header{"X-Backend": {backends[i%3]}}}
		if sec >= failFrom && sec < failTo && i%5 == 0 {
			res.Code = 502
		}
		rec.Add(res)
	}
	s := rec.Summary()
	r := &report.Report{Schema: report.Schema, Scenario: report.ScenarioInfo{Name: "recorded"}, StartedAt: start, EndedAt: start.Add(time.Minute), Status: report.StatusPassed, Summary: report.SummaryOf(s)}
	r.Score = report.ScoreRun(r.Summary, nil)
	return r
}

// TestCompareRecordedRuns compares runs aggregated by the metric package, with
// its real log-linear histogram, rather than hand-built summaries.
func TestCompareRecordedRuns(t *testing.T) {
	base := recordedRun(t, 1, 1, 0, 0)
	if len(base.Summary.Histogram.Buckets) < 50 {
		t.Fatalf("histogram has %d buckets; the recorder changed shape", len(base.Summary.Histogram.Buckets))
	}
	tests := []struct {
		name string
		run  *report.Report
		want map[string]Verdict
	}{
		// 12,000 requests tell p50 apart, not p99 within 5%: its interval
		// still holds a change larger than that.
		{"same configuration, other sample", recordedRun(t, 2, 1, 0, 0), map[string]Verdict{
			"error_rate": VerdictNoDifference, "latency": VerdictNoDifference, "p50": VerdictNoDifference, "p99": VerdictInconclusive}},
		{"20% slower", recordedRun(t, 3, 1.2, 0, 0), map[string]Verdict{
			"error_rate": VerdictNoDifference, "latency": VerdictWorse, "p50": VerdictWorse, "p99": VerdictWorse}},
		{"2% slower is within tolerance", recordedRun(t, 4, 1.02, 0, 0), map[string]Verdict{
			"p50": VerdictNoDifference, "p99": VerdictInconclusive}},
		{"5s of 502s", recordedRun(t, 5, 1, 30, 35), map[string]Verdict{
			"error_rate": VerdictWorse, "status_5xx_rate": VerdictWorse, "transport_error_rate": VerdictNoDifference, "latency": VerdictNoDifference}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Runs([]*report.Report{base, tt.run}, Options{})
			for key, want := range tt.want {
				if m := metricOf(t, c.Candidates[0], key); m.Verdict != want {
					t.Errorf("%s: verdict %q, want %q (%s vs %s, %s %s)", key, m.Verdict, want, m.Baseline, m.Candidate, m.Evidence, m.Note)
				}
			}
		})
	}
}

// Four trials pooled against four others of the same configuration: enough
// requests for p99 to be "no significant difference" rather than
// inconclusive, as one trial against one is.
func TestComparePooledTrialsConclude(t *testing.T) {
	var a, b []*report.Report
	for i := range uint64(4) {
		a = append(a, recordedRun(t, 10+i, 1, 0, 0))
		b = append(b, recordedRun(t, 20+i, 1, 0, 0))
	}
	single := Runs([]*report.Report{a[0], b[0]}, Options{})
	pooled := Runs([]*report.Report{report.Pool(a, nil), report.Pool(b, nil)}, Options{})
	if m := metricOf(t, single.Candidates[0], "p99"); m.Verdict != VerdictInconclusive || m.Needed <= 12000 {
		t.Errorf("one trial each: p99 %q, needs %d (%s)", m.Verdict, m.Needed, m.Note)
	}
	if r := pooled.Candidates[0].Run; r.Requests != 48000 || r.Trials != 4 {
		t.Errorf("pooled candidate has %d requests of %d trials, want 48000 of 4", r.Requests, r.Trials)
	}
	for _, key := range []string{"error_rate", "latency", "p50", "p99"} {
		if m := metricOf(t, pooled.Candidates[0], key); m.Verdict != VerdictNoDifference {
			t.Errorf("pooled: %s verdict %q, want %q (%s %s)", key, m.Verdict, VerdictNoDifference, m.Evidence, m.Note)
		}
	}
}
