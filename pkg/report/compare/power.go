package compare

import (
	"fmt"
	"math"
	"time"

	"github.com/drillkit/drill/pkg/report/internal/human"
	"github.com/drillkit/drill/pkg/stats"
)

// A test that finds no significant difference says something only when its
// samples were large enough to find the smallest difference that matters
// (Options.RateEffect, MinEffect, LatencyTolerance) with probability
// Options.Power. When they were not, the verdict is inconclusive and the
// note says how many requests per run would be.

// rateInconclusive checks a rate test that found no difference: with n1
// and n2 requests and the baseline's rate p1, could it have seen a change
// of RateEffect?
func (c comparer) rateInconclusive(m *MetricDelta, p1 float64, n1, n2 uint64) {
	eff := c.opts.RateEffect
	if eff <= 0 {
		return
	}
	p2 := p1 + eff
	if p2 > 1 {
		p2 = p1 - eff
	}
	need, err := stats.ProportionSampleSize(p1, p2, c.opts.Confidence, c.opts.Power)
	if err != nil {
		return
	}
	c.inconclusive(m, need, stats.EffectiveSize(n1, n2), "a "+human.Float(eff*100)+" pp change")
}

// rankInconclusive checks a Mann-Whitney test that found no difference:
// could n1 and n2 requests have seen P(slower) = 0.5 ± MinEffect?
func (c comparer) rankInconclusive(m *MetricDelta, n1, n2 uint64) {
	eff := c.opts.MinEffect
	if eff <= 0 {
		return
	}
	need, err := stats.RankSampleSize(eff, c.opts.Confidence, c.opts.Power)
	if err != nil {
		return
	}
	c.inconclusive(m, need, stats.EffectiveSize(n1, n2), "P(slower) = 0.5±"+human.Float(eff))
}

// quantileInconclusive checks a bootstrap interval [low, high] (ns) of a
// quantile's difference that holds zero: was it narrow enough to show a
// change of effect (ns), the smallest that can be called better or worse?
func (c comparer) quantileInconclusive(m *MetricDelta, low, high, effect float64, n1, n2 uint64) {
	if effect <= 0 {
		return
	}
	have := stats.EffectiveSize(n1, n2)
	need, err := stats.ScaledSampleSize(have, (high-low)/2, effect, c.opts.Confidence, c.opts.Power)
	if err != nil {
		return
	}
	c.inconclusive(m, need, have, "a "+human.Duration(time.Duration(math.Round(effect)))+" change")
}

// inconclusive makes m inconclusive when have requests per run are fewer
// than the need that detecting what would take.
func (c comparer) inconclusive(m *MetricDelta, need, have uint64, what string) {
	if have >= need {
		return
	}
	m.Verdict = VerdictInconclusive
	m.Needed = need
	note := fmt.Sprintf("needs ≥ %s requests per run to detect %s at %s confidence, %s power (has %s)",
		human.Count(need), what, human.Float(c.opts.Confidence*100)+"%", human.Float(c.opts.Power*100)+"%", human.Count(have))
	if m.Note != "" {
		note = m.Note + "; " + note
	}
	m.Note = note
}
