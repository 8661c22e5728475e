package compare

import (
	"fmt"
	"strings"

	"github.com/drillkit/drill/pkg/stats"
)

// Defaults of Options.
const (
	DefaultConfidence = 0.95
	DefaultResamples  = 2000
	DefaultSeed       = 1
	// DefaultLatencyTolerance: a p50 or p99 change smaller than this
	// fraction of the baseline value is not called better or worse, however
	// significant; load runs have enough requests to make 1% significant.
	DefaultLatencyTolerance = 0.05
	// DefaultMinEffect: the latency distribution is only called better or
	// worse when a candidate request is slower (or faster) than a baseline
	// request at least 0.5 + DefaultMinEffect of the time.
	DefaultMinEffect = 0.05
	// DefaultRateEffect: the smallest change of an error rate worth
	// detecting, 0.1 percentage points; a rate test that finds no
	// difference with too few requests to see one that large is
	// inconclusive.
	DefaultRateEffect = 0.001
	// DefaultPower is the power the sample sizes of inconclusive verdicts
	// are computed for.
	DefaultPower = stats.DefaultPower
)

// Options tunes Compare. Zero fields take the defaults.
type Options struct {
	// Confidence is the confidence level of every verdict, e.g. 0.95.
	Confidence float64
	// Resamples is the number of bootstrap replicates for quantile intervals.
	Resamples int
	// Seed seeds the bootstrap, so the same runs always compare the same.
	Seed uint64
	// LatencyTolerance is the smallest relative p50/p99 change that can be
	// a verdict (DefaultLatencyTolerance); negative means none.
	LatencyTolerance float64
	// MinEffect is the smallest departure from 0.5 of the probability that a
	// candidate request is slower than a baseline one for the distribution
	// verdict (DefaultMinEffect); negative means none.
	MinEffect float64
	// RateEffect is the smallest absolute change of an error rate worth
	// detecting (DefaultRateEffect); negative means none, and rate tests
	// are then never inconclusive.
	RateEffect float64
	// Power is the probability of detecting an effect of the sizes above
	// that the samples must reach for "no significant difference" rather
	// than "inconclusive" (DefaultPower).
	Power float64
	// Labels names the runs in order (e.g. their directories); by default a
	// run is named by its scenario and variant.
	Labels []string
}

func (o Options) withDefaults() Options {
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if o.Resamples == 0 {
		o.Resamples = DefaultResamples
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Power == 0 {
		o.Power = DefaultPower
	}
	switch {
	case o.RateEffect == 0:
		o.RateEffect = DefaultRateEffect
	case o.RateEffect < 0:
		o.RateEffect = 0
	}
	switch {
	case o.LatencyTolerance == 0:
		o.LatencyTolerance = DefaultLatencyTolerance
	case o.LatencyTolerance < 0:
		o.LatencyTolerance = 0
	}
	switch {
	case o.MinEffect == 0:
		o.MinEffect = DefaultMinEffect
	case o.MinEffect < 0:
		o.MinEffect = 0
	}
	return o
}

// Validate reports options that cannot work, with what to use instead.
func (o Options) Validate() error {
	var errs []string
	if o.Confidence != 0 && (o.Confidence <= 0.5 || o.Confidence >= 1) {
		errs = append(errs, fmt.Sprintf("confidence %v must be above 0.5 and below 1, e.g. 0.95", o.Confidence))
	}
	if o.Resamples != 0 && o.Resamples < 100 {
		errs = append(errs, fmt.Sprintf("%d bootstrap resamples are too few; use at least 1000", o.Resamples))
	}
	if o.LatencyTolerance >= 1 {
		errs = append(errs, fmt.Sprintf("latency tolerance %v is a fraction and must be below 1, e.g. 0.05 for 5%%", o.LatencyTolerance))
	}
	if o.MinEffect >= 0.5 {
		errs = append(errs, fmt.Sprintf("minimum effect %v must be below 0.5, e.g. 0.05", o.MinEffect))
	}
	if o.RateEffect >= 1 {
		errs = append(errs, fmt.Sprintf("rate effect %v is a fraction and must be below 1, e.g. 0.001 for 0.1 percentage points", o.RateEffect))
	}
	if o.Power != 0 && (o.Power < 0.5 || o.Power >= 1) {
		errs = append(errs, fmt.Sprintf("power %v must be at least 0.5 and below 1, e.g. 0.8", o.Power))
	}
	if len(errs) > 0 {
		return fmt.Errorf("compare options: %s", strings.Join(errs, "; "))
	}
	return nil
}
