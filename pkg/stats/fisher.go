package stats

import (
	"fmt"
	"math"
)

// fisherTolerance is the relative slack under which a table counts as "as
// extreme as" the observed one; it absorbs floating-point noise in the sums of
// log-factorials so that tables with equal probability are treated alike.
const fisherTolerance = 1e-7

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
	limit := observed + math.Log1p(fisherTolerance)
	p := 0.0
	for x := lo; x <= hi; x++ {
		if lp := logP(x); lp <= limit {
			p += math.Exp(lp)
		}
	}
	return Result{Method: MethodFisher, Statistic: math.Exp(observed), PValue: min(p, 1)}, nil
}

// lfact returns log(n!).
func lfact(n uint64) float64 {
	v, _ := math.Lgamma(float64(n) + 1)
	return v
}
