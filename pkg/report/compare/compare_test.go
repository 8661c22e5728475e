package compare

import (
	"encoding/json"
	"fmt"
	"math"

	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
	"github.com/drillkit/drill/pkg/report/reporttest"
	"github.com/drillkit/drill/pkg/stats"
)

func metricOf(t *testing.T, c Candidate, key string) MetricDelta {
	t.Helper()
	for _, m := range c.Metrics {
		if m.Key == key {
			return m
		}
	}
	t.Fatalf("metric %q missing from %s", key, c.Run.Label)
	return MetricDelta{}
}

func TestCompareVerdicts(t *testing.T) {
	base := reporttest.Variant("preStopSleep=0s", 31, 38, 30, 1)
	fixed := reporttest.Variant("preStopSleep=30s", 0, 0, 0, 1)
	slower := reporttest.Variant("slow", 31, 38, 30, 1.5)
	same := reporttest.Variant("again", 31, 38, 30, 1)
	worse := reporttest.Variant("worse", 31, 45, 30, 1)

	c := Runs([]*report.Report{base, fixed, slower, same, worse}, Options{})
	if c.Confidence != DefaultConfidence || len(c.Candidates) != 4 {
		t.Fatalf("confidence %v, %d candidates", c.Confidence, len(c.Candidates))
	}
	tests := []struct {
		cand int
		key  string
		want Verdict
		test stats.Method
	}{
		// 210 of 6000 failed against none: far beyond chance. An expected
		// count of failures of 105 per run: the z-test.
		{0, "error_rate", VerdictBetter, stats.MethodZ},
		{0, "status_5xx_rate", VerdictBetter, stats.MethodZ},
		{0, "latency", VerdictNoDifference, stats.MethodMannWhitney},
		{0, "p50", VerdictNoDifference, stats.MethodBootstrap},
		// The same 3.5% of failures: no difference, but 6000 requests are
		// far too few to see a 0.1 pp change at that rate.
		{1, "error_rate", VerdictInconclusive, stats.MethodZ},
		{1, "latency", VerdictWorse, stats.MethodMannWhitney},
		{1, "p50", VerdictWorse, stats.MethodBootstrap},
		{1, "p99", VerdictWorse, stats.MethodBootstrap},
		{2, "error_rate", VerdictInconclusive, stats.MethodZ},
		{2, "latency", VerdictNoDifference, stats.MethodMannWhitney},
		{2, "p99", VerdictNoDifference, stats.MethodBootstrap},
		{3, "error_rate", VerdictWorse, stats.MethodZ},
		{3, "transport_error_rate", VerdictWorse, stats.MethodZ},
		{3, "score", VerdictNone, ""},
	}
	for _, tt := range tests {
		cand := c.Candidates[tt.cand]
		t.Run(cand.Run.Label+"/"+tt.key, func(t *testing.T) {
			m := metricOf(t, cand, tt.key)
			if m.Verdict != tt.want || m.Test != tt.test {
				t.Errorf("verdict %q by %q, want %q by %q (%+v)", m.Verdict, m.Test, tt.want, tt.test, m)
			}
		})
	}
	if !c.Regressed() {
		t.Error("Regressed() = false, want true (slower and worse runs)")
	}
	want := []string{
		"rolling-update-prestop [slow]: latency (distribution, mean shown)",
		"rolling-update-prestop [slow]: latency p50",
		"rolling-update-prestop [slow]: latency p99",
		"rolling-update-prestop [worse]: error rate",
		"rolling-update-prestop [worse]: transport error rate",
		"rolling-update-prestop [worse]: 5xx rate",
	}
	got := c.Regressions()
	if len(got) != len(want) {
		t.Errorf("regressions = %q, want %d of them", got, len(want))
	}
	burst := metricOf(t, c.Candidates[3], "max_error_burst")
	if burst.Baseline != "7s" || burst.Candidate != "14s" || burst.Delta != "+7s" {
		t.Errorf("longest burst row = %+v", burst)
	}
}

func TestCompareRareErrorsUseFisher(t *testing.T) {
	base := reporttest.Variant("a", 0, 0, 0, 1)
	cand := reporttest.Variant("b", 20, 21, 3, 1)
	m := metricOf(t, Runs([]*report.Report{base, cand}, Options{}).Candidates[0], "error_rate")
	// 0 of 6000 against 3 of 6000: Fisher's p = 0.25, no difference; but
	// a 0.1 pp change from none needs 7,844 requests a run to be seen.
	if m.Test != stats.MethodFisher || m.Verdict != VerdictInconclusive || m.PValue == nil || *m.PValue < 0.24 || *m.PValue > 0.26 {
		t.Errorf("row = %+v, want Fisher's exact test with p = 0.25, inconclusive", m)
	}
	if m.Needed != 7844 || !strings.Contains(m.Note, "needs ≥ 7,844 requests per run to detect a 0.1 pp change at 95% confidence, 80% power (has 6,000)") {
		t.Errorf("needed %d, note %q", m.Needed, m.Note)
	}
}

func TestCompareNotRegressed(t *testing.T) {
	base := reporttest.Variant("a", 31, 38, 30, 1)
	c := Runs([]*report.Report{base, reporttest.Variant("b", 31, 38, 30, 1)}, Options{Confidence: 0.99})
	if c.Regressed() {
		t.Errorf("identical runs regressed: %q", c.Regressions())
	}
	if c.Confidence != 0.99 {
		t.Errorf("confidence = %v", c.Confidence)
	}
}

func TestCompareDeterministic(t *testing.T) {
	runs := []*report.Report{reporttest.Variant("a", 31, 38, 30, 1), reporttest.Variant("b", 31, 38, 30, 1.03)}
	a, err := json.Marshal(Runs(runs, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Runs(runs, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two comparisons of the same runs differ")
	}
}

func TestCompareLabelsAndNotes(t *testing.T) {
	a := reporttest.Variant("", 0, 0, 0, 1)
	b := reporttest.Variant("", 0, 0, 0, 1)
	b.Incomplete = true
	b.IncompleteReason = "interrupted"
	b.Scenario.Name = "other"
	c := Runs([]*report.Report{a, a, b}, Options{})
	if c.Baseline.Label != "rolling-update-prestop #1" || c.Candidates[0].Run.Label != "rolling-update-prestop #2" || c.Candidates[1].Run.Label != "other" {
		t.Errorf("labels = %q, %q, %q", c.Baseline.Label, c.Candidates[0].Run.Label, c.Candidates[1].Run.Label)
	}
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{"other is incomplete: interrupted", `comes from scenario "other"`, "ipvs (emulated"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	c = Runs([]*report.Report{a, b}, Options{Labels: []string{"runs/iptables", "runs/ipvs"}})
	if c.Baseline.Label != "runs/iptables" || c.Candidates[0].Run.Label != "runs/ipvs" {
		t.Errorf("given labels not used: %q, %q", c.Baseline.Label, c.Candidates[0].Run.Label)
	}
}

func TestCompareOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options: %v", err)
	}
	err := Options{Confidence: 95, Resamples: 10, LatencyTolerance: 5, MinEffect: 0.6}.Validate()
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"confidence 95", "10 bootstrap", "tolerance 5", "effect 0.6"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestCompareNoData(t *testing.T) {
	a := reporttest.Variant("a", 0, 0, 0, 1)
	empty := &report.Report{Schema: report.Schema, Scenario: report.ScenarioInfo{Name: "empty"}, Status: report.StatusError, StartedAt: time.Unix(0, 0)}
	c := Runs([]*report.Report{a, empty}, Options{})
	for _, m := range c.Candidates[0].Metrics {
		if m.Verdict == VerdictWorse || m.Verdict == VerdictBetter {
			t.Errorf("%s has verdict %q without data", m.Key, m.Verdict)
		}
	}
}

// wideHistogramReport has a histogram shaped like the metric package's: 64
// buckets per power of two from about 1ms to 1s, all non-empty.
func wideHistogramReport(shift float64) *report.Report {
	r := reporttest.Variant("wide", 0, 0, 0, 1)
	r.Summary.Histogram.Buckets = nil
	for p := 20; p < 30; p++ {
		low := int64(1) << p
		w := low / 64
		for i := range int64(64) {
			lo := low + i*w
			count := uint64(1000 * math.Exp(-math.Abs(float64(p)+float64(i)/64-22-shift)))
			r.Summary.Histogram.Buckets = append(r.Summary.Histogram.Buckets, report.Bucket{LowNs: lo, HighNs: lo + w, Count: count + 1})
		}
	}
	return r
}

func BenchmarkCompare(b *testing.B) {
	runs := []*report.Report{wideHistogramReport(0), wideHistogramReport(0.1)}
	for b.Loop() {
		Runs(runs, Options{})
	}
}

// withLatency gives a report a latency histogram of (milliseconds, count)
// buckets one millisecond wide, and the mean of it.
func withLatency(r *report.Report, buckets ...[2]int) *report.Report {
	var n, sum uint64
	r.Summary.Histogram = report.Histogram{}
	for _, b := range buckets {
		r.Summary.Histogram.Buckets = append(r.Summary.Histogram.Buckets,
			report.Bucket{LowNs: int64(reporttest.Ms(float64(b[0]))), HighNs: int64(reporttest.Ms(float64(b[0] + 1))), Count: uint64(b[1])})
		n += uint64(b[1])
		sum += uint64(b[1]) * uint64(reporttest.Ms(float64(b[0])+0.5))
	}
	r.Summary.Latency.Mean = time.Duration(sum / n)
	return r
}

// Most candidate requests are slower, but its tail is much faster, so its
// mean is lower: the distribution row must not call a lower mean "worse".
func TestCompareDistributionVerdictAgreesWithTheMean(t *testing.T) {
	base := withLatency(reporttest.Variant("base", 0, 0, 0, 1), [2]int{10, 5000}, [2]int{100, 1000})
	cand := withLatency(reporttest.Variant("cand", 0, 0, 0, 1), [2]int{12, 5500}, [2]int{30, 500})
	if cand.Summary.Latency.Mean >= base.Summary.Latency.Mean {
		t.Fatalf("fixture: candidate mean %s not below baseline %s", cand.Summary.Latency.Mean, base.Summary.Latency.Mean)
	}
	m := metricOf(t, Runs([]*report.Report{base, cand}, Options{}).Candidates[0], "latency")
	if m.Verdict == VerdictWorse || m.Verdict == VerdictBetter {
		t.Errorf("verdict %q with means %s -> %s (%s): want no verdict when the mean moved against most requests", m.Verdict, m.Baseline, m.Candidate, m.Note)
	}
	if !strings.Contains(m.Note, "shape changed") {
		t.Errorf("note %q does not say why there is no verdict", m.Note)
	}
}

// Figures that round to zero are shown as 0, never as -0.00.
func TestNoNegativeZero(t *testing.T) {
	all := report.ScoreRun(report.Summary{Requests: 100, Successes: 0}, nil)
	if e := all.Components[0].Explanation; strings.Contains(e, "-0") {
		t.Errorf("availability of a run without success: %q", e)
	}
	c := comparer{opts: Options{Confidence: DefaultConfidence}}
	if d := c.proportion("error_rate", "error rate", 1, 1_000_000, 1, 1_000_001).Delta; d != "0 pp" {
		t.Errorf("a change of -0.0000001 pp shows as %q, want 0 pp", d)
	}
	for _, v := range []float64{-0.0001, 0.0001, math.Copysign(0, -1)} {
		if got := signed(v, func(v float64) string { return fmt.Sprintf("%.3f", v) }); got != "0" {
			t.Errorf("signed(%g) = %q, want 0", v, got)
		}
	}
	if got := signed(-0.5, human.Float); got != "-0.5" {
		t.Errorf("signed(-0.5) = %q", got)
	}
}

// runOf is a run of n requests, f of them 503s, half of them taking 1-2ms
// and half 2-4ms.
func runOf(label string, n, f uint64) *report.Report {
	ms := int64(time.Millisecond)
	return &report.Report{Schema: report.Schema, Scenario: report.ScenarioInfo{Name: label}, Status: report.StatusPassed,
		Summary: report.Summary{Requests: n, Successes: n - f, Codes: map[string]uint64{"200": n - f, "503": f}, Errors: map[string]uint64{"http": f},
			Latency:   report.Latency{Mean: 2 * time.Millisecond},
			Histogram: report.Histogram{Buckets: []report.Bucket{{LowNs: ms, HighNs: 2 * ms, Count: n / 2}, {LowNs: 2 * ms, HighNs: 4 * ms, Count: n - n/2}}}}}
}

// The verdict of a test: significance first (better, worse); without it,
// "no significant difference" only with the requests to have seen the
// smallest change that matters, else inconclusive.
func TestVerdictSelection(t *testing.T) {
	tests := []struct {
		name       string
		base, cand *report.Report
		opts       Options
		key        string
		want       Verdict
		needed     uint64
	}{
		{"rate, enough requests", runOf("a", 10000, 0), runOf("b", 10000, 0), Options{}, "error_rate", VerdictNoDifference, 0},
		{"rate, too few", runOf("a", 5000, 0), runOf("b", 5000, 0), Options{}, "error_rate", VerdictInconclusive, 7844},
		// Unequal runs count as the equal runs as precise: 2·3000·30000/33000.
		{"rate, unequal runs", runOf("a", 3000, 0), runOf("b", 30000, 0), Options{}, "error_rate", VerdictInconclusive, 7844},
		{"rate, a 1 pp effect is seen sooner", runOf("a", 5000, 0), runOf("b", 5000, 0), Options{RateEffect: 0.01}, "error_rate", VerdictNoDifference, 0},
		{"rate, no effect asked for", runOf("a", 500, 0), runOf("b", 500, 0), Options{RateEffect: -1}, "error_rate", VerdictNoDifference, 0},
		// (0.0619641 + 1.281552·0.031607)² / 0.001² = 10500.1
		{"rate, 90% power needs more", runOf("a", 9000, 0), runOf("b", 9000, 0), Options{Power: 0.9}, "error_rate", VerdictInconclusive, 10501},
		{"rate, significant with few requests", runOf("a", 1000, 0), runOf("b", 1000, 50), Options{}, "error_rate", VerdictWorse, 0},
		{"rate, better", runOf("a", 1000, 50), runOf("b", 1000, 0), Options{}, "error_rate", VerdictBetter, 0},
		{"distribution, too few", runOf("a", 200, 0), runOf("b", 200, 0), Options{}, "latency", VerdictInconclusive, 524},
		{"distribution, enough", runOf("a", 1000, 0), runOf("b", 1000, 0), Options{}, "latency", VerdictNoDifference, 0},
		{"distribution, no effect asked for", runOf("a", 200, 0), runOf("b", 200, 0), Options{MinEffect: -1}, "latency", VerdictNoDifference, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metricOf(t, Runs([]*report.Report{tt.base, tt.cand}, tt.opts).Candidates[0], tt.key)
			if m.Verdict != tt.want || m.Needed != tt.needed {
				t.Errorf("verdict %q needing %d, want %q needing %d (%s; %s)", m.Verdict, m.Needed, tt.want, tt.needed, m.Evidence, m.Note)
			}
			if tt.want == VerdictInconclusive && !strings.Contains(m.Note, "needs ≥ "+human.Count(tt.needed)+" requests per run") {
				t.Errorf("note %q does not give the requests needed", m.Note)
			}
		})
	}
}

// Checks relative to the baseline pass or fail per candidate against the
// baseline's values, and a failed one is a regression.
func TestBaselineChecks(t *testing.T) {
	base := reporttest.Variant("a", 0, 0, 0, 1)
	base.BaselineChecks = []string{"p99 <= +10%", "errors <= +5", "conntrack_drops <= +0"}
	near := reporttest.Variant("b", 0, 0, 0, 1.05)
	slow := reporttest.Variant("c", 0, 0, 0, 1.5)
	slow.BaselineChecks = []string{"p99 <= +10%"}
	c := Runs([]*report.Report{base, near, slow}, Options{})
	// near has no checks of its own: the baseline's apply.
	got := c.Candidates[0].Checks
	if len(got) != 3 || !got[0].Passed || !got[1].Passed || !got[2].NoData || got[2].Passed {
		t.Fatalf("checks of b: %+v", got)
	}
	if got[0].Threshold != "+10%" || got[0].Actual != "21ms" || got[0].Message != "baseline 20ms, so <= 22ms" {
		t.Errorf("p99 check of b: %+v", got[0])
	}
	if s := c.Candidates[1].Checks; len(s) != 1 || s[0].Passed || s[0].Actual != "30ms" {
		t.Errorf("checks of c: %+v", s)
	}
	regs := strings.Join(c.Regressions(), "; ")
	if !strings.Contains(regs, "rolling-update-prestop [c]: check p99 <= +10%") || !strings.Contains(regs, "rolling-update-prestop [b]: check conntrack_drops <= +0") {
		t.Errorf("regressions %q: want c's p99 check and b's check without data", regs)
	}
}
