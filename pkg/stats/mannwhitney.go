package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Weighted is a value observed Count times: one histogram bucket, or one
// distinct raw value.
type Weighted struct {
	Value float64 `json:"value"`
	Count uint64  `json:"count"`
}

// MannWhitney is the outcome of a Mann-Whitney U test of sample y against
// sample x.
type MannWhitney struct {
	Result
	// U counts the pairs (x_i, y_j) with y_j > x_i, ties counting one half.
	U float64 `json:"u"`
	// Effect is U / (n1 n2): the probability that a random y exceeds a random
	// x (ties counting one half). 0.5 means no tendency either way.
	Effect float64 `json:"effect"`
	// N1 and N2 are the sizes of x and y.
	N1 uint64 `json:"n1"`
	N2 uint64 `json:"n2"`
}

// MannWhitneyU tests whether y tends to take larger or smaller values than x.
// Equal values share the mean of the ranks they span, and the variance of U is
// reduced by the usual tie correction, which matters for histograms where
// every request in a bucket is one tie. The p-value is two-sided from the
// normal approximation with a continuity correction of one half; it is
// accurate once both samples have more than about 20 observations, which any
// load run has.
func MannWhitneyU(x, y []Weighted) (MannWhitney, error) {
	n1, n2 := total(x), total(y)
	for _, s := range [][]Weighted{x, y} {
		for _, w := range s {
			if math.IsNaN(w.Value) {
				return MannWhitney{}, fmt.Errorf("mann-whitney u test: a value is NaN")
			}
		}
	}
	if n1 == 0 || n2 == 0 {
		return MannWhitney{}, fmt.Errorf("mann-whitney u test: a sample is empty (n1=%d, n2=%d); both runs need latency data", n1, n2)
	}
	type point struct {
		v      float64
		cx, cy uint64
	}
	pts := make([]point, 0, len(x)+len(y))
	for _, w := range x {
		pts = append(pts, point{v: w.Value, cx: w.Count})
	}
	for _, w := range y {
		pts = append(pts, point{v: w.Value, cy: w.Count})
	}
	slices.SortFunc(pts, func(a, b point) int { return cmp.Compare(a.v, b.v) })

	var (
		below    float64 // observations ranked before the current value
		rankSumY float64
		tieTerm  float64 // sum of t^3 - t over groups of equal values
	)
	for i := 0; i < len(pts); {
		cx, cy := pts[i].cx, pts[i].cy
		j := i + 1
		for ; j < len(pts) && pts[j].v == pts[i].v; j++ {
			cx += pts[j].cx
			cy += pts[j].cy
		}
		t := float64(cx + cy)
		avgRank := below + (t+1)/2
		rankSumY += float64(cy) * avgRank
		tieTerm += t*t*t - t
		below += t
		i = j
	}
	f1, f2 := float64(n1), float64(n2)
	n := f1 + f2
	u := rankSumY - f2*(f2+1)/2
	mean := f1 * f2 / 2
	variance := f1 * f2 / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	res := MannWhitney{U: u, Effect: u / (f1 * f2), N1: n1, N2: n2}
	res.Method = MethodMannWhitney
	if variance <= 0 {
		// Every observation is equal: nothing to tell apart.
		res.PValue = 1
		return res, nil
	}
	diff := u - mean
	// Continuity correction: move half a unit towards the mean.
	diff = math.Copysign(math.Max(math.Abs(diff)-0.5, 0), diff)
	res.Statistic = diff / math.Sqrt(variance)
	res.PValue = twoSidedP(res.Statistic)
	return res, nil
}

func total(s []Weighted) uint64 {
	var n uint64
	for _, w := range s {
		n += w.Count
	}
	return n
}
