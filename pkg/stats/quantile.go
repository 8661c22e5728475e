package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Distribution is an empirical distribution of weighted values, sorted, with
// cumulative counts for quantile look-ups in O(log k) for k distinct values.
type Distribution struct {
	values []float64
	cum    []uint64 // cum[i] = observations with a value <= values[i]
}

// NewDistribution builds the empirical distribution of s. Entries with a zero
// count are ignored; entries with equal values are merged.
func NewDistribution(s []Weighted) Distribution {
	sorted := slices.Clone(s)
	slices.SortFunc(sorted, func(a, b Weighted) int { return cmp.Compare(a.Value, b.Value) })
	var d Distribution
	var run uint64
	for _, w := range sorted {
		if w.Count == 0 {
			continue
		}
		run += w.Count
		if k := len(d.values); k > 0 && d.values[k-1] == w.Value {
			d.cum[k-1] = run
			continue
		}
		d.values = append(d.values, w.Value)
		d.cum = append(d.cum, run)
	}
	return d
}

// N returns the number of observations.
func (d Distribution) N() uint64 {
	if len(d.cum) == 0 {
		return 0
	}
	return d.cum[len(d.cum)-1]
}

// Quantile returns the nearest-rank q-quantile: the smallest value with at
// least ceil(q n) observations at or below it (the minimum for q = 0).
func (d Distribution) Quantile(q float64) (float64, error) {
	n := d.N()
	if n == 0 {
		return 0, fmt.Errorf("quantile of an empty distribution")
	}
	if q < 0 || q > 1 || math.IsNaN(q) {
		return 0, fmt.Errorf("quantile %v is outside [0, 1]", q)
	}
	return d.atRank(rankOf(q, n)), nil
}

// inverse returns the smallest value whose cumulative share reaches u, for u
// in (0, 1]: the empirical quantile function F^-1(u).
func (d Distribution) inverse(u float64) float64 {
	n := float64(d.N())
	i := sort.Search(len(d.cum), func(i int) bool { return float64(d.cum[i]) >= u*n })
	if i == len(d.cum) {
		i = len(d.cum) - 1
	}
	return d.values[i]
}

func (d Distribution) atRank(r uint64) float64 {
	i := sort.Search(len(d.cum), func(i int) bool { return d.cum[i] >= r })
	return d.values[i]
}

// rankOf returns the nearest rank ceil(q n), at least 1.
func rankOf(q float64, n uint64) uint64 {
	r := uint64(math.Ceil(q * float64(n)))
	return min(max(r, 1), n)
}
