package render

import (
	"time"

	"github.com/drillkit/drill/pkg/report/compare"
)

// comparisonChartData is what a comparison page's charts draw: every run on
// one time axis, the seconds since each run started.
type comparisonChartData struct {
	Kind    string            `json:"kind"` // "compare"
	Seconds int               `json:"seconds"`
	Runs    []comparedRunData `json:"runs"`
}

// comparedRunData is one run's failed share (percent) and latency
// quantiles (milliseconds) per second; null where it had no requests.
type comparedRunData struct {
	Label       string     `json:"label"`
	FailureRate []*float64 `json:"failureRate"`
	P50         []*float64 `json:"p50"`
	P99         []*float64 `json:"p99"`
}

// comparisonChartDataOf lays out the compared runs' timelines; nil when no
// run has one.
func comparisonChartDataOf(c *compare.Comparison) *comparisonChartData {
	n := 0
	for _, tl := range c.Timelines {
		n = max(n, len(dense(tl.Timeline)))
	}
	if n == 0 {
		return nil
	}
	d := &comparisonChartData{Kind: "compare", Seconds: n}
	ms := func(v time.Duration) *float64 { return num(float64(v) / float64(time.Millisecond)) }
	for _, tl := range c.Timelines {
		run := comparedRunData{Label: tl.Label, FailureRate: make([]*float64, n), P50: make([]*float64, n), P99: make([]*float64, n)}
		for i, s := range dense(tl.Timeline) {
			if s.Requests == 0 {
				continue
			}
			failed := s.Requests - min(s.Successes, s.Requests)
			run.FailureRate[i] = num(100 * float64(failed) / float64(s.Requests))
			run.P50[i], run.P99[i] = ms(s.P50), ms(s.P99)
		}
		d.Runs = append(d.Runs, run)
	}
	return d
}
