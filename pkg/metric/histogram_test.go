package metric

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	prevHigh := int64(0)
	for i := 0; i < nBuckets; i++ {
		low, high := bucketBounds(i)
		if low != prevHigh {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, low, prevHigh)
		}
		if bucketOf(low) != i || bucketOf(high-1) != i {
			t.Fatalf("bucket %d [%d,%d): bucketOf(low)=%d bucketOf(high-1)=%d", i, low, high, bucketOf(low), bucketOf(high-1))
		}
		if mid := representative(low, high); low > 0 && float64(mid-low)/float64(low) > MaxRelativeError {
			t.Fatalf("bucket %d [%d,%d) is too wide", i, low, high)
		}
		prevHigh = high
	}
	if prevHigh != math.MaxInt64 {
		t.Errorf("last bucket ends at %d, want MaxInt64", prevHigh)
	}
	if bucketOf(math.MaxInt64) != nBuckets-1 || bucketOf(-5) != 0 {
		t.Error("extremes land outside the buckets")
	}
}

// exactQuantile is the value of rank ceil(q*n) of sorted values.
func exactQuantile(sorted []int64, q float64) int64 {
	return sorted[rankOf(q, uint64(len(sorted)))-1]
}

func TestQuantileError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := []struct {
		name string
		gen  func() int64
	}{
		{"uniform ms", func() int64 { return rng.Int64N(int64(50 * time.Millisecond)) }},
		{"lognormal", func() int64 { return int64(math.Exp(rng.NormFloat64()*1.5+13)) + 1 }},
		{"tiny", func() int64 { return rng.Int64N(300) }},
		{"bimodal", func() int64 {
			if rng.IntN(100) == 0 {
				return int64(30*time.Second) + rng.Int64N(1e6)
			}
			return int64(200*time.Microsecond) + rng.Int64N(1e5)
		}},
	}
	for _, d := range dists {
		t.Run(d.name, func(t *testing.T) {
			h := newHist()
			vals := make([]int64, 20000)
			for i := range vals {
				vals[i] = d.gen()
				h.add(vals[i])
			}
			slices.Sort(vals)
			sparse := h.sparse()
			for _, q := range []float64{0, 0.001, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
				want := float64(exactQuantile(vals, q))
				for name, got := range map[string]float64{
					"hist":   float64(h.quantile(q)),
					"sparse": float64(sparse.Quantile(q)),
				} {
					if err := math.Abs(got-want) / math.Max(want, 1); err > MaxRelativeError && math.Abs(got-want) > 0.5 {
						t.Errorf("%s q%g = %g, exact %g: relative error %.4f > %.4f", name, q, got, want, err, MaxRelativeError)
					}
				}
			}
			if h.quantile(1) != vals[len(vals)-1] || h.quantile(0) != vals[0] {
				t.Errorf("extremes %d..%d, want %d..%d", h.quantile(0), h.quantile(1), vals[0], vals[len(vals)-1])
			}
		})
	}
}

func TestHistogramMerge(t *testing.T) {
	a, b, both := newHist(), newHist(), newHist()
	for i := int64(1); i <= 5000; i++ {
		v := i * i * 37
		if i%3 == 0 {
			a.add(v)
		} else {
			b.add(v)
		}
		both.add(v)
	}
	merged := a.sparse().Merge(b.sparse())
	want := both.sparse()
	if len(merged.Buckets) != len(want.Buckets) {
		t.Fatalf("merged has %d buckets, want %d", len(merged.Buckets), len(want.Buckets))
	}
	for i := range want.Buckets {
		if merged.Buckets[i] != want.Buckets[i] {
			t.Fatalf("bucket %d = %+v, want %+v", i, merged.Buckets[i], want.Buckets[i])
		}
	}
	if merged.Count() != 5000 {
		t.Errorf("merged count %d", merged.Count())
	}
}
