package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
	"github.com/drillkit/drill/pkg/stats"
)

// comparer compares one candidate with the baseline.
type comparer struct {
	opts       Options
	base, cand *report.Report
	seed       uint64
}

func (c comparer) metrics() []MetricDelta {
	b, k := c.base.Summary, c.cand.Summary
	out := []MetricDelta{
		{Key: "requests", Name: "requests", Baseline: fmt.Sprint(b.Requests), Candidate: fmt.Sprint(k.Requests),
			BaselineValue: float64(b.Requests), CandidateValue: float64(k.Requests),
			DeltaValue: float64(k.Requests) - float64(b.Requests), Delta: signed(float64(k.Requests)-float64(b.Requests), human.Float)},
		c.proportion("error_rate", "error rate", failedOf(b), b.Requests, failedOf(k), k.Requests),
		c.proportion("status_5xx_rate", "5xx rate", codeClass(b, '5'), b.Requests, codeClass(k, '5'), k.Requests),
		c.proportion("transport_error_rate", "transport error rate", transportErrors(b), b.Requests, transportErrors(k), k.Requests),
	}
	out = append(out, c.latency()...)
	out = append(out, c.sideBySide()...)
	return out
}

func failedOf(s report.Summary) uint64 { return s.Requests - min(s.Successes, s.Requests) }

// codeClass counts responses whose status code starts with digit.
func codeClass(s report.Summary, digit byte) uint64 {
	var n uint64
	for code, c := range s.Codes {
		if len(code) == 3 && code[0] == digit {
			n += c
		}
	}
	return n
}

// transportErrors counts failed requests that got no usable response:
// every error class but http.
func transportErrors(s report.Summary) uint64 {
	var n uint64
	for class, c := range s.Errors {
		if class != metric.ClassHTTP {
			n += c
		}
	}
	return n
}

func (c comparer) proportion(key, name string, x1, n1, x2, n2 uint64) MetricDelta {
	m := MetricDelta{Key: key, Name: name, LowerIsBetter: true}
	if n1 == 0 || n2 == 0 {
		m.Baseline, m.Candidate, m.Delta = "-", "-", "-"
		m.Note = "a run made no requests"
		return m
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	m.BaselineValue, m.CandidateValue, m.DeltaValue = p1, p2, p2-p1
	m.Baseline = fmt.Sprintf("%s (%d)", human.Rate(p1), x1)
	m.Candidate = fmt.Sprintf("%s (%d)", human.Rate(p2), x2)
	m.Delta = signed((p2-p1)*100, func(v float64) string { return fmt.Sprintf("%.3f", v) }) + " pp"
	res, err := stats.ProportionTest(x1, n1, x2, n2)
	if err != nil {
		m.Note = noteOf(err)
		return m
	}
	m.Test = res.Method
	m.PValue = &res.PValue
	m.Evidence = fmtP(res.PValue)
	m.Verdict = VerdictNoDifference
	if res.Significant(c.opts.Confidence) {
		m.Verdict = direction(p2-p1, true)
		return m
	}
	c.rateInconclusive(&m, p1, n1, n2)
	return m
}

// direction turns a significant difference into better or worse.
func direction(delta float64, lowerIsBetter bool) Verdict {
	if (delta > 0) == lowerIsBetter {
		return VerdictWorse
	}
	return VerdictBetter
}

// histogramSample turns a latency histogram into weighted values at the
// bucket midpoints, in nanoseconds.
func histogramSample(h report.Histogram) []stats.Weighted {
	out := make([]stats.Weighted, 0, len(h.Buckets))
	for _, b := range h.Buckets {
		out = append(out, stats.Weighted{Value: float64(b.LowNs) + float64(b.HighNs-b.LowNs)/2, Count: b.Count})
	}
	return out
}

// bucketWidth returns the width of the histogram bucket holding v.
func bucketWidth(h report.Histogram, v float64) time.Duration {
	for _, b := range h.Buckets {
		if v >= float64(b.LowNs) && v < float64(b.HighNs) {
			return time.Duration(b.HighNs - b.LowNs)
		}
	}
	return 0
}

func (c comparer) latency() []MetricDelta {
	hb, hk := c.base.Summary.Histogram, c.cand.Summary.Histogram
	xb, xk := histogramSample(hb), histogramSample(hk)
	out := []MetricDelta{c.distribution(xb, xk)}
	for i, q := range []struct {
		key, name string
		q         float64
	}{{"p50", "latency p50", 0.5}, {"p99", "latency p99", 0.99}} {
		out = append(out, c.quantile(q.key, q.name, q.q, hb, xb, xk, c.seed*16+uint64(i)))
	}
	return out
}

func (c comparer) distribution(xb, xk []stats.Weighted) MetricDelta {
	b, k := c.base.Summary.Latency.Mean, c.cand.Summary.Latency.Mean
	m := MetricDelta{Key: "latency", Name: "latency distribution (mean)", LowerIsBetter: true}
	m.setDurations(b, k)
	res, err := stats.MannWhitneyU(xb, xk)
	if err != nil {
		m.Note = noteOf(err)
		return m
	}
	m.Test = res.Method
	m.PValue = &res.PValue
	m.Evidence = fmtP(res.PValue)
	m.Note = fmt.Sprintf("P(slower) = %.3f", res.Effect)
	m.Verdict = VerdictNoDifference
	if !res.Significant(c.opts.Confidence) {
		c.rankInconclusive(&m, res.N1, res.N2)
		return m
	}
	if math.Abs(res.Effect-0.5) < c.opts.MinEffect {
		m.Note += fmt.Sprintf(", within 0.5±%s", human.Float(c.opts.MinEffect))
		return m
	}
	if slower := res.Effect > 0.5; (slower && k < b) || (!slower && k > b) {
		// Most requests moved one way and the mean the other: the shape
		// changed (e.g. a faster tail, a slower body). Neither "better" nor
		// "worse" would be true of the row as shown.
		m.Verdict = VerdictNone
		m.Note += ", the mean moved the other way: the shape changed, no verdict"
		return m
	}
	m.Verdict = direction(res.Effect-0.5, true)
	return m
}

func (c comparer) quantile(key, name string, q float64, hb report.Histogram, xb, xk []stats.Weighted, seed uint64) MetricDelta {
	m := MetricDelta{Key: key, Name: name, LowerIsBetter: true}
	rng := rand.New(rand.NewPCG(seed, 0x6472696c6c)) // "drill"
	res, err := stats.BootstrapQuantileDiff(xb, xk, q, c.opts.Confidence, c.opts.Resamples, rng)
	if err != nil {
		m.Baseline, m.Candidate, m.Delta = "-", "-", "-"
		m.Note = noteOf(err)
		return m
	}
	base, _ := stats.NewDistribution(xb).Quantile(q)
	cand, _ := stats.NewDistribution(xk).Quantile(q)
	m.setDurations(time.Duration(base), time.Duration(cand))
	m.Test = stats.MethodBootstrap
	iv := stats.Interval{Low: res.Interval.Low / 1e9, High: res.Interval.High / 1e9}
	m.Interval = &iv
	m.Evidence = fmt.Sprintf("[%s, %s]", signedDur(time.Duration(res.Interval.Low)), signedDur(time.Duration(res.Interval.High)))
	width := bucketWidth(hb, base)
	m.Note = fmt.Sprintf("bucket %s", human.Duration(width))
	m.Verdict = VerdictNoDifference
	diff := cand - base
	significant := res.Interval.Low > 0 || res.Interval.High < 0
	if !significant {
		c.quantileInconclusive(&m, res.Interval.Low, res.Interval.High, max(c.opts.LatencyTolerance*base, float64(width)),
			stats.NewDistribution(xb).N(), stats.NewDistribution(xk).N())
		return m
	}
	if math.Abs(diff) < c.opts.LatencyTolerance*base || math.Abs(diff) < float64(width) {
		m.Note += fmt.Sprintf(", change within %s or one bucket", human.Share(c.opts.LatencyTolerance))
		return m
	}
	m.Verdict = direction(diff, true)
	return m
}

// noteOf explains why a metric has no verdict.
func noteOf(err error) string {
	if strings.Contains(err.Error(), "empty") {
		return "no latency histogram in a run"
	}
	return "not tested: " + err.Error()
}

func (m *MetricDelta) setDurations(b, k time.Duration) {
	m.BaselineValue, m.CandidateValue, m.DeltaValue = b.Seconds(), k.Seconds(), (k - b).Seconds()
	m.Baseline, m.Candidate = human.Duration(b), human.Duration(k)
	m.Delta = signedDur(k - b)
	if b > 0 {
		if pct := signed(float64(k-b)/float64(b)*100, func(v float64) string { return fmt.Sprintf("%.1f", v) }); pct != "0" {
			m.Delta += " (" + pct + "%)"
		}
	}
}

// sideBySide are the metrics shown without a test.
func (c comparer) sideBySide() []MetricDelta {
	b, k := c.base, c.cand
	num := func(key, name string, bv, kv float64, lowerIsBetter bool, f func(float64) string) MetricDelta {
		return MetricDelta{Key: key, Name: name, Baseline: f(bv), Candidate: f(kv), Delta: signed(kv-bv, f),
			BaselineValue: bv, CandidateValue: kv, DeltaValue: kv - bv, LowerIsBetter: lowerIsBetter}
	}
	secs := func(v float64) string { return human.Duration(time.Duration(v * float64(time.Second))) }
	out := []MetricDelta{
		num("score", "score", b.Score.Total, k.Score.Total, false, func(v float64) string { return fmt.Sprintf("%.1f", v) }),
	}
	bp, bn := checksPassed(b.Checks)
	kp, kn := checksPassed(k.Checks)
	cp := num("checks_passed", "checks passed", float64(bp), float64(kp), false, human.Float)
	cp.Baseline = fmt.Sprintf("%d/%d", bp, bn)
	cp.Candidate = fmt.Sprintf("%d/%d", kp, kn)
	out = append(out, cp)
	bb, _ := b.Summary.Value("max_error_burst")
	kb, _ := k.Summary.Value("max_error_burst")
	out = append(out, num("max_error_burst", "longest error burst", bb, kb, true, secs))
	br, _ := b.Summary.Value("time_to_recover")
	kr, _ := k.Summary.Value("time_to_recover")
	out = append(out, num("time_to_recover", "time to recover", br, kr, true, secs))
	bcv, bok := b.Summary.Value("backend_share_cv")
	kcv, kok := k.Summary.Value("backend_share_cv")
	cv := num("backend_share_cv", "backend share CV", bcv, kcv, true, func(v float64) string { return fmt.Sprintf("%.3f", v) })
	if !bok || !kok {
		cv.Baseline, cv.Candidate, cv.Delta = orDash(bok, cv.Baseline), orDash(kok, cv.Candidate), "-"
		cv.Note = "no backend data in a run"
	}
	out = append(out, cv)
	return out
}

func checksPassed(cs []report.CheckResult) (passed, total int) {
	for _, c := range cs {
		if c.Passed && !c.NoData {
			passed++
		}
	}
	return passed, len(cs)
}

func orDash(ok bool, s string) string {
	if ok {
		return s
	}
	return "-"
}

// signed formats v with its sign; a value that f shows as zero is "0",
// never "-0.000" or "+0.0".
func signed(v float64, f func(float64) string) string {
	s := f(math.Abs(v))
	switch {
	case !strings.ContainsAny(s, "123456789"):
		return "0"
	case v > 0:
		return "+" + s
	default:
		return "-" + s
	}
}

func signedDur(d time.Duration) string {
	return signed(float64(d), func(v float64) string { return human.Duration(time.Duration(v)) })
}

func fmtP(p float64) string {
	if p < 0.0001 {
		return "p<0.0001"
	}
	return fmt.Sprintf("p=%.4f", p)
}
