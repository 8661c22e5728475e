package stats

import (
	"fmt"
	"math"
	"sort"
)

// fisherTolerance is the relative slack under which a table counts as "as
// extreme as" the observed one; it absorbs floating-point noise in the sums of
// log-factorials so that tables with equal probability are treated alike.
const fisherTolerance = 1e-7

// negligible is how far (in natural log) below the observed table's
// probability the summed tail may fall before the sum stops: e^-60 is about
// 1e-26.
const negligible = 60

// maxCount bounds the counts the tests accept: beyond 2^53 float64 cannot
// hold every count exactly.
const maxCount = 1 << 53

// FisherExact runs Fisher's exact test, two-sided, on the 2x2 table
//
//	a b
//	c d
//
// with fixed margins. The p-value is the total probability (hypergeometric) of
// every table with these margins that is no more probable than the observed
// one. Probabilities are computed from log-factorials, so large counts neither
// overflow nor lose precision.
func FisherExact(a, b, c, d uint64) (Result, error) {
	if a > maxCount || b > maxCount || c > maxCount || d > maxCount || a+b+c+d > maxCount {
		return Result{}, fmt.Errorf("fisher exact test: counts above 2^53 are not supported")
	}
	n := a + b + c + d
	if n == 0 {
		return Result{}, fmt.Errorf("fisher exact test: the table is empty; both samples need at least one observation")
	}
	row1, col1 := a+b, a+c
	row2 := c + d
	// a ranges over [lo, hi] with the margins fixed.
	lo := uint64(0)
	if col1 > row2 {
		lo = col1 - row2
	}
	hi := min(row1, col1)
	logConst := lfact(row1) + lfact(row2) + lfact(col1) + lfact(n-col1) - lfact(n)
	logP := func(x uint64) float64 {
		return logConst - lfact(x) - lfact(row1-x) - lfact(col1-x) - lfact(row2-col1+x)
	}
	observed := logP(a)
	// Each log-factorial carries a rounding error of about 1e-16 of its
	// size; with counts in the billions that exceeds fisherTolerance, so the
	// slack grows with the largest term.
	limit := observed + math.Log1p(fisherTolerance) + 1e-14*lfact(n)
	floor := observed - negligible

	// The distribution is log-concave: it rises to its mode and falls after.
	// On each side the tables at most as probable as the observed one form a
	// tail, found by binary search; the tail is summed until its terms are
	// negligible. The cost depends on the spread of the distribution, not on
	// the counts.
	mode := uint64(math.Floor((float64(row1) + 1) * (float64(col1) + 1) / (float64(n) + 2)))
	mode = min(max(mode, lo), hi)
	p := 0.0
	if lp := logP(mode); lp <= limit {
		p += math.Exp(lp)
	}
	if mode < hi {
		// First x above the mode with logP(x) <= limit.
		x := mode + 1 + uint64(sort.Search(int(hi-mode), func(i int) bool { return logP(mode+1+uint64(i)) <= limit }))
		for ; x <= hi; x++ {
			lp := logP(x)
			p += math.Exp(lp)
			if lp < floor {
				break
			}
		}
	}
	if mode > lo {
		// Last x below the mode with logP(x) <= limit.
		k := sort.Search(int(mode-lo), func(i int) bool { return logP(mode-1-uint64(i)) <= limit })
		for x := int64(mode) - 1 - int64(k); x >= int64(lo); x-- {
			lp := logP(uint64(x))
			p += math.Exp(lp)
			if lp < floor {
				break
			}
		}
	}
	return Result{Method: MethodFisher, Statistic: math.Exp(observed), PValue: min(p, 1)}, nil
}

// lfact returns log(n!).
func lfact(n uint64) float64 {
	v, _ := math.Lgamma(float64(n) + 1)
	return v
}
