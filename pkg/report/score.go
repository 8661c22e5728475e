package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report/internal/human"
)

// Score weights: the points each component is worth. They add up to 100.
const (
	WeightAvailability = 40.0
	WeightBursts       = 20.0
	WeightLatency      = 20.0
	WeightChecks       = 20.0
)

// Score reference values.
const (
	// TargetNines is the number of nines of success rate that earns the full
	// availability points: 4 nines is 99.99%.
	TargetNines = 4.0
	// BurstHalfLife is the error-burst length that halves the burst points;
	// every further BurstHalfLife halves them again.
	BurstHalfLife = 5 * time.Second
	// DefaultLatencyBudget is the p99 the latency component measures against
	// when the scenario has no latency check.
	DefaultLatencyBudget = 500 * time.Millisecond
)

// Component names.
const (
	ComponentAvailability = "availability"
	ComponentBursts       = "error bursts"
	ComponentLatency      = "latency"
	ComponentChecks       = "checks"
)

// Score is a run's 0-100 score and the components it adds up from.
type Score struct {
	// Total is the sum of the components' points, 0 to 100.
	Total      float64     `json:"total"`
	Components []Component `json:"components"`
	// Partial is set when the run was cut short (aborted, interrupted, an
	// error, or not finished yet): Total is the components' sum scaled by
	// Coverage, the share of the planned duration the run covered, and
	// PartialReason shows the arithmetic.
	Partial       bool    `json:"partial,omitempty"`
	Coverage      float64 `json:"coverage,omitempty"`
	PartialReason string  `json:"partialReason,omitempty"`
}

// Component is one part of the score.
type Component struct {
	Name string `json:"name"`
	// Weight is the most points the component can give.
	Weight float64 `json:"weight"`
	// Value is the component's grade from 0 (worst) to 1 (best).
	Value float64 `json:"value"`
	// Points is Weight * Value, rounded to one decimal.
	Points float64 `json:"points"`
	// Explanation shows how Value was computed from the run's numbers.
	Explanation string `json:"explanation"`
}

// ScoreRun scores a run from its summary and check results. The score is
// deterministic: the same inputs always give the same score. See
// docs/report.md for the formula.
func ScoreRun(s Summary, checks []CheckResult) Score {
	comps := []Component{
		availability(s),
		bursts(s),
		latency(s, checks),
		checksComponent(checks),
	}
	if s.Requests == 0 {
		// A run without a single request tells nothing about traffic
		// safety, whatever its checks said.
		comps[3] = Component{Name: ComponentChecks, Weight: WeightChecks, Explanation: "no requests were made"}
	}
	total := 0.0
	for i := range comps {
		comps[i].Points = round1(comps[i].Weight * comps[i].Value)
		total += comps[i].Points
	}
	return Score{Total: round1(total), Components: comps}
}

// availability maps the success rate to nines: 99% is 2 nines, 99.9% is 3,
// 99.99% (TargetNines) or better earns everything.
func availability(s Summary) Component {
	c := Component{Name: ComponentAvailability, Weight: WeightAvailability}
	if s.Requests == 0 {
		c.Explanation = "no requests were made"
		return c
	}
	failed := s.Requests - min(s.Successes, s.Requests)
	if failed == 0 {
		c.Value = 1
		c.Explanation = fmt.Sprintf("all %d requests succeeded", s.Requests)
		return c
	}
	rate := float64(s.Successes) / float64(s.Requests)
	nines := math.Abs(math.Log10(1 - rate)) // >= 0; Abs also turns -0 into 0
	c.Value = clamp01(nines / TargetNines)
	c.Explanation = fmt.Sprintf("success rate %s = %.2f nines; %.0f nines earn full points", human.Rate(rate), nines, TargetNines)
	return c
}

// bursts grades the worst error burst: its length, or the time until the
// success rate recovered if that was longer. Every BurstHalfLife halves it.
func bursts(s Summary) Component {
	c := Component{Name: ComponentBursts, Weight: WeightBursts}
	if s.Requests == 0 {
		c.Explanation = "no requests were made"
		return c
	}
	worst, which := worstBurst(s.Bursts)
	if which < 0 {
		c.Value = 1
		c.Explanation = "no error bursts"
		return c
	}
	b := s.Bursts[which]
	c.Value = math.Pow(0.5, float64(worst)/float64(BurstHalfLife))
	c.Explanation = fmt.Sprintf("worst burst t=%ds..%ds lasted %s, recovered after %s; every %s halves the points",
		b.StartT, b.EndT, human.Duration(b.Length()), fmtRecovery(b), human.Duration(BurstHalfLife))
	return c
}

// worstBurst returns the longest outage among bursts (length or recovery
// time, whichever is longer) and its index, or -1 when there is none.
func worstBurst(bs []Burst) (time.Duration, int) {
	worst, which := time.Duration(0), -1
	for i, b := range bs {
		d := max(b.Length(), b.Recovery)
		if which < 0 || d > worst {
			worst, which = d, i
		}
	}
	return worst, which
}

func fmtRecovery(b Burst) string {
	if b.Recovery == 0 {
		return "the end of the run (not recovered)"
	}
	return human.Duration(b.Recovery)
}

// latency grades the worst ratio of a latency statistic to its budget: the
// thresholds of the scenario's latency checks, else p99 against
// DefaultLatencyBudget. Half the budget or less earns everything, exactly
// the budget half, twice the budget nothing.
func latency(s Summary, checks []CheckResult) Component {
	c := Component{Name: ComponentLatency, Weight: WeightLatency}
	if s.Requests == 0 {
		c.Explanation = "no requests were made"
		return c
	}
	worst := -1.0
	var desc string
	for _, ch := range checks {
		stat, ok := latencyStat(s.Latency, ch.Metric)
		if !ok || (ch.Op != "<" && ch.Op != "<=") {
			continue
		}
		budget, ok := parseBudget(ch.Threshold)
		if !ok {
			continue
		}
		if r := float64(stat) / float64(budget); r > worst {
			worst = r
			desc = fmt.Sprintf("%s %s vs budget %s from check %q", ch.Metric, human.Duration(stat), human.Duration(budget), ch.Expr)
		}
	}
	if worst < 0 {
		worst = float64(s.Latency.P99) / float64(DefaultLatencyBudget)
		desc = fmt.Sprintf("p99 %s vs default budget %s (no latency check)", human.Duration(s.Latency.P99), human.Duration(DefaultLatencyBudget))
	}
	switch {
	case worst <= 0.5:
		c.Value = 1
	case worst <= 1:
		c.Value = 1.5 - worst
	default:
		c.Value = clamp01(1 - worst/2)
	}
	c.Explanation = fmt.Sprintf("%s = %.2fx; <=0.5x full, 1x half, >=2x none", desc, worst)
	if s.Successes < s.Requests {
		// A fast failure is not fast service: only the share of requests
		// that succeeded earns latency points.
		rate := float64(s.Successes) / float64(s.Requests)
		c.Explanation += fmt.Sprintf("; × success rate %s", human.Rate(rate))
		c.Value *= rate
	}
	return c
}

// latencyStat returns the summary statistic a latency check metric names:
// p50, p90, p95, p99, p999 (or p99.9), max_latency, mean_latency (also
// max, mean and a "latency_" prefix).
func latencyStat(l Latency, name string) (time.Duration, bool) {
	n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "latency_")
	switch n {
	case "p50", "median":
		return l.P50, true
	case "p90":
		return l.P90, true
	case "p95":
		return l.P95, true
	case "p99":
		return l.P99, true
	case "p999", "p99.9":
		return l.P999, true
	case "max", "max_latency":
		return l.Max, true
	case "mean", "mean_latency":
		return l.Mean, true
	}
	return 0, false
}

// checksComponent is the share of checks that passed. A check whose metric
// had no data counts as failed: a gate that could not measure must not pass.
func checksComponent(checks []CheckResult) Component {
	c := Component{Name: ComponentChecks, Weight: WeightChecks}
	if len(checks) == 0 {
		// Without checks nothing was asked, so nothing earned these points.
		c.Explanation = NoChecksReason
		return c
	}
	passed := 0
	var failed []string
	for _, ch := range checks {
		switch {
		case ch.Passed && !ch.NoData:
			passed++
		case ch.NoData:
			failed = append(failed, ch.Expr+" (no data)")
		default:
			failed = append(failed, ch.Expr)
		}
	}
	c.Value = float64(passed) / float64(len(checks))
	c.Explanation = fmt.Sprintf("%d of %d checks passed", passed, len(checks))
	if len(failed) > 0 {
		c.Explanation += "; failed: " + strings.Join(failed, ", ")
	}
	return c
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// parseBudget reads a latency threshold: a Go duration ("300ms", "1.5s") or
// a bare number of seconds.
func parseBudget(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, false
		}
		d = time.Duration(f * float64(time.Second))
	}
	return d, d > 0
}
