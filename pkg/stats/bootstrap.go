package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a confidence interval [Low, High].
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Contains reports whether v lies in the interval.
func (iv Interval) Contains(v float64) bool { return iv.Low <= v && v <= iv.High }

// QuantileDiff is the bootstrap estimate of Q_q(y) - Q_q(x).
type QuantileDiff struct {
	// Diff is the observed difference of the nearest-rank quantiles.
	Diff float64 `json:"diff"`
	// Interval is the percentile interval of the bootstrap differences.
	Interval Interval `json:"interval"`
	// Confidence is the coverage the interval was computed for.
	Confidence float64 `json:"confidence"`
	// Resamples is the number of bootstrap replicates.
	Resamples int `json:"resamples"`
}

// BootstrapQuantileDiff estimates the difference of the q-quantiles of y and x
// with a percentile bootstrap interval at the given confidence. Each replicate
// resamples both samples with replacement at their original sizes.
//
// Resampling n observations only to read one order statistic would cost
// O(n) per replicate; instead the r-th order statistic of a resample of size n
// from an empirical distribution F is drawn exactly as F^-1(B) with
// B ~ Beta(r, n-r+1), the law of the r-th of n uniform order statistics. A
// replicate therefore costs O(log k) for k distinct values, whatever n is.
//
// rng makes the result reproducible: the same seed gives the same interval.
func BootstrapQuantileDiff(x, y []Weighted, q, confidence float64, resamples int, rng *rand.Rand) (QuantileDiff, error) {
	if confidence <= 0 || confidence >= 1 {
		return QuantileDiff{}, fmt.Errorf("bootstrap: confidence %v must be between 0 and 1, e.g. 0.95", confidence)
	}
	if resamples < 10 {
		return QuantileDiff{}, fmt.Errorf("bootstrap: %d resamples are too few; use at least 1000", resamples)
	}
	dx, dy := NewDistribution(x), NewDistribution(y)
	qx, err := dx.Quantile(q)
	if err != nil {
		return QuantileDiff{}, fmt.Errorf("bootstrap: first sample: %w", err)
	}
	qy, err := dy.Quantile(q)
	if err != nil {
		return QuantileDiff{}, fmt.Errorf("bootstrap: second sample: %w", err)
	}
	rx, ry := rankOf(q, dx.N()), rankOf(q, dy.N())
	diffs := make([]float64, resamples)
	for i := range diffs {
		bx := betaSample(rng, float64(rx), float64(dx.N()-rx+1))
		by := betaSample(rng, float64(ry), float64(dy.N()-ry+1))
		diffs[i] = dy.inverse(by) - dx.inverse(bx)
	}
	slices.Sort(diffs)
	alpha := 1 - confidence
	return QuantileDiff{
		Diff:       qy - qx,
		Interval:   Interval{Low: percentile(diffs, alpha/2), High: percentile(diffs, 1-alpha/2)},
		Confidence: confidence,
		Resamples:  resamples,
	}, nil
}

// percentile returns the nearest-rank p-percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	r := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(r, 1), len(sorted))-1]
}

// betaSample draws from Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
func betaSample(rng *rand.Rand, a, b float64) float64 {
	x := gammaSample(rng, a)
	y := gammaSample(rng, b)
	return x / (x + y)
}

// gammaSample draws from Gamma(shape, 1) with the Marsaglia-Tsang method.
func gammaSample(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		// Boost: Gamma(a) = Gamma(a+1) * U^(1/a).
		u := rng.Float64()
		return gammaSample(rng, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		z := rng.NormFloat64()
		v := 1 + c*z
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*z*z*z*z {
			return d * v
		}
		if math.Log(u) < 0.5*z*z+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
