package compare

import (
	"fmt"
	"math"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
	"github.com/drillkit/drill/pkg/stats"
)

// Verdict is the outcome of comparing one metric of a run with the baseline.
type Verdict string

// Verdicts. A metric shown without a test has no verdict.
const (
	VerdictBetter       Verdict = "better"
	VerdictWorse        Verdict = "worse"
	VerdictNoDifference Verdict = "no significant difference"
	// VerdictInconclusive: no significant difference, but too few requests
	// to detect the smallest difference that matters (see Options).
	VerdictInconclusive Verdict = "inconclusive"
	VerdictNone         Verdict = ""
)

// Comparison puts runs side by side against the first one, the baseline.
type Comparison struct {
	// Confidence is the confidence level of the verdicts.
	Confidence float64 `json:"confidence"`
	// LatencyTolerance and MinEffect are the practical-significance
	// thresholds used (see Options).
	LatencyTolerance float64 `json:"latencyTolerance"`
	MinEffect        float64 `json:"minEffect"`
	// RateEffect and Power size the samples a "no significant difference"
	// needs; with fewer the verdict is inconclusive.
	RateEffect float64 `json:"rateEffect"`
	Power      float64 `json:"power"`
	Resamples  int     `json:"resamples"`
	Seed       uint64  `json:"seed"`

	Baseline   RunRef      `json:"baseline"`
	Candidates []Candidate `json:"candidates"`
	// Notes warn about things that limit the comparison (incomplete runs,
	// different scenarios, emulated datapaths).
	Notes []string `json:"notes,omitempty"`
	// Timelines are the runs' per-second timelines, baseline first, for
	// renderings that overlay the runs; the comparison's JSON leaves them
	// out (each run's report.json has them).
	Timelines []RunTimeline `json:"-"`
}

// RunTimeline is one compared run second by second.
type RunTimeline struct {
	Label    string
	Timeline []report.Second
}

// RunRef identifies a compared run.
type RunRef struct {
	Label      string        `json:"label"`
	Scenario   string        `json:"scenario"`
	Variant    string        `json:"variant,omitempty"`
	StartedAt  time.Time     `json:"startedAt"`
	Status     report.Status `json:"status"`
	Incomplete bool          `json:"incomplete,omitempty"`
	Requests   uint64        `json:"requests"`
	Score      float64       `json:"score"`
	// Trials is the number of trials pooled into the run; 0 for one run.
	Trials int `json:"trials,omitempty"`
}

// Candidate is one run compared with the baseline.
type Candidate struct {
	Run     RunRef        `json:"run"`
	Metrics []MetricDelta `json:"metrics"`
	// Checks are the scenario's checks relative to the baseline ("p99 <=
	// +10%"), judged on this run against the baseline's values.
	Checks []report.CheckResult `json:"checks,omitempty"`
}

// MetricDelta is one metric of a candidate next to the baseline's.
type MetricDelta struct {
	// Key is a stable identifier ("error_rate", "p99"); Name is for people.
	Key  string `json:"key"`
	Name string `json:"name"`
	// Baseline, Candidate and Delta are formatted for display; the *Value
	// fields hold the numbers (fractions for rates, seconds for latencies).
	Baseline       string  `json:"baseline"`
	Candidate      string  `json:"candidate"`
	Delta          string  `json:"delta"`
	BaselineValue  float64 `json:"baselineValue"`
	CandidateValue float64 `json:"candidateValue"`
	DeltaValue     float64 `json:"deltaValue"`
	// LowerIsBetter tells which direction is an improvement.
	LowerIsBetter bool `json:"lowerIsBetter"`
	// Test is the statistical test behind the verdict; empty for metrics
	// shown side by side only.
	Test stats.Method `json:"test,omitempty"`
	// PValue is the test's two-sided p-value (not for bootstrap rows).
	PValue *float64 `json:"pValue,omitempty"`
	// Interval is the bootstrap interval of the difference, in seconds.
	Interval *stats.Interval `json:"interval,omitempty"`
	// Evidence is the p-value or interval formatted for display.
	Evidence string  `json:"evidence,omitempty"`
	Verdict  Verdict `json:"verdict,omitempty"`
	// Needed is, for an inconclusive verdict, the requests per run the
	// test would need to detect the smallest difference that matters.
	Needed uint64 `json:"needed,omitempty"`
	// Note explains the verdict when it needs it (resolution, effect size).
	Note string `json:"note,omitempty"`
}

// Regressed reports whether any metric of any candidate is significantly
// worse than the baseline, or any check relative to the baseline failed:
// what drill compare --fail-on-regression gates on.
func (c *Comparison) Regressed() bool {
	return len(c.Regressions()) > 0
}

// Regressions lists "<run>: <metric>" for every worse verdict and "<run>:
// check <expr>" for every failed check relative to the baseline.
func (c *Comparison) Regressions() []string {
	var out []string
	for _, cand := range c.Candidates {
		for _, m := range cand.Metrics {
			if m.Verdict == VerdictWorse {
				out = append(out, cand.Run.Label+": "+m.Name)
			}
		}
		for _, ch := range cand.Checks {
			if !ch.Passed {
				out = append(out, cand.Run.Label+": check "+ch.Expr)
			}
		}
	}
	return out
}

// Inconclusives lists "<run>: <metric>" for every inconclusive verdict.
func (c *Comparison) Inconclusives() []string {
	var out []string
	for _, cand := range c.Candidates {
		for _, m := range cand.Metrics {
			if m.Verdict == VerdictInconclusive {
				out = append(out, cand.Run.Label+": "+m.Name)
			}
		}
	}
	return out
}

// Compare compares every run with the first, the baseline. For rates it uses
// the two-proportion z-test, or Fisher's exact test when an expected cell
// count is below 5; for latency the Mann-Whitney U test on the histograms and
// bootstrap intervals for the difference in p50 and p99. Score, checks
// passed, the longest error burst, recovery time and backend spread are
// shown side by side without a test. Options are taken as given; call
// Options.Validate first to reject bad ones. Compare needs at least
// one run; with one there is nothing to compare it with.
func Runs(runs []*report.Report, opts Options) *Comparison {
	opts = opts.withDefaults()
	c := &Comparison{
		Confidence: opts.Confidence, LatencyTolerance: opts.LatencyTolerance, MinEffect: opts.MinEffect,
		RateEffect: opts.RateEffect, Power: opts.Power,
		Resamples: opts.Resamples, Seed: opts.Seed, Candidates: []Candidate{},
	}
	if len(runs) == 0 {
		return c
	}
	labels := runLabels(runs, opts.Labels)
	c.Baseline = refOf(runs[0], labels[0])
	for i, r := range runs {
		c.Timelines = append(c.Timelines, RunTimeline{Label: labels[i], Timeline: r.Summary.Timeline})
	}
	c.Notes = compareNotes(runs, labels)
	for i, r := range runs[1:] {
		cand := Candidate{Run: refOf(r, labels[i+1])}
		cmp := comparer{opts: opts, base: runs[0], cand: r, seed: opts.Seed + uint64(i)}
		cand.Metrics = cmp.metrics()
		cand.Checks = baselineChecks(runs[0], r)
		c.Candidates = append(c.Candidates, cand)
	}
	return c
}

func refOf(r *report.Report, label string) RunRef {
	return RunRef{
		Label: label, Scenario: r.Scenario.Name, Variant: r.Variant, StartedAt: r.StartedAt,
		Status: r.Status, Incomplete: r.Incomplete, Requests: r.Summary.Requests, Score: r.Score.Total,
		Trials: len(r.Trials),
	}
}

// runLabels names runs: the given labels, else scenario and variant, with
// "#n" added where names repeat.
func runLabels(runs []*report.Report, given []string) []string {
	labels := make([]string, len(runs))
	count := map[string]int{}
	for i, r := range runs {
		if i < len(given) && given[i] != "" {
			labels[i] = given[i]
		} else {
			labels[i] = r.Title()
		}
		count[labels[i]]++
	}
	for i := range labels {
		if count[labels[i]] > 1 {
			labels[i] = fmt.Sprintf("%s #%d", labels[i], i+1)
		}
	}
	return labels
}

func compareNotes(runs []*report.Report, labels []string) []string {
	var notes []string
	base := runs[0]
	for i, r := range runs {
		if r.Incomplete || r.Status == report.StatusAborted || r.Status == report.StatusError {
			what := "is incomplete"
			switch r.Status {
			case report.StatusAborted:
				what = "was aborted"
			case report.StatusError:
				what = "ended in an error"
			}
			if r.IncompleteReason != "" {
				what += ": " + r.IncompleteReason
			}
			notes = append(notes, fmt.Sprintf("%s %s; its numbers cover only part of the planned run", labels[i], what))
		}
		if i == 0 {
			continue
		}
		if r.Scenario.Name != base.Scenario.Name {
			notes = append(notes, fmt.Sprintf("%s comes from scenario %q, the baseline from %q", labels[i], r.Scenario.Name, base.Scenario.Name))
		}
		if br, rr := base.Summary.Rate, r.Summary.Rate; br > 0 && rr > 0 && math.Abs(rr-br)/br > 0.1 {
			notes = append(notes, fmt.Sprintf("%s ran at %s requests/s, the baseline at %s: differences may come from the load itself", labels[i], human.Float(rr), human.Float(br)))
		}
	}
	seen := map[string]bool{}
	for i, r := range runs {
		for _, n := range r.Environment.Notes {
			key := labels[i] + n
			if !seen[key] {
				seen[key] = true
				notes = append(notes, labels[i]+": "+n)
			}
		}
	}
	return notes
}
