package metric

import (
	"math"
	"math/bits"
	"sort"
	"time"
)

// The latency histogram is log-linear: values below 128ns have a bucket
// each; above, every power of two is split into 64 equal buckets. A bucket
// [low, high) is at most 1/64 of low wide, so the middle of the bucket a
// value falls in is within 1/128 (0.79%) of it: every quantile is reported
// with a relative error of at most 0.79%. Buckets are fixed, so histograms
// merge by adding counts.
const (
	subBits    = 6
	subBuckets = 1 << subBits // buckets per power of two
	nBuckets   = (62-subBits)*subBuckets + 2*subBuckets
)

// MaxRelativeError is the largest relative error of a latency quantile
// computed from a Histogram (or of the quantiles in a Summary).
const MaxRelativeError = 1.0 / (2 * subBuckets)

// bucketOf returns the index of the bucket of v nanoseconds (v < 0 counts as 0).
func bucketOf(v int64) int {
	if v < 2*subBuckets {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - 1 - subBits
	return shift*subBuckets + int(v>>shift)
}

// bucketBounds returns the range [low, high) of bucket i.
func bucketBounds(i int) (low, high int64) {
	if i < 2*subBuckets {
		return int64(i), int64(i) + 1
	}
	shift := i/subBuckets - 1
	m := int64(i%subBuckets + subBuckets)
	low = m << shift
	if m+1 == 2*subBuckets && shift == 62-subBits {
		return low, math.MaxInt64
	}
	return low, (m + 1) << shift
}

// representative is the value a quantile falling in [low, high) reports: the
// middle of the bucket.
func representative(low, high int64) int64 {
	return low + (high-low)/2
}

// hist is the streaming form of the latency histogram: dense counts plus the
// exact extremes.
type hist struct {
	counts   []uint64
	n        uint64
	min, max int64
}

func newHist() *hist { return &hist{counts: make([]uint64, nBuckets)} }

func (h *hist) add(v int64) {
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.counts[bucketOf(v)]++
}

func (h *hist) reset() {
	clear(h.counts)
	h.n, h.min, h.max = 0, 0, 0
}

// quantile returns the q-quantile (0 <= q <= 1): the value of rank
// ceil(q*n) (at least 1), clamped to the exact extremes, which the first and
// last rank return as they are.
func (h *hist) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := rankOf(q, h.n)
	switch rank {
	case 1:
		return h.min
	case h.n:
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			low, high := bucketBounds(i)
			return min(max(representative(low, high), h.min), h.max)
		}
	}
	return h.max
}

func rankOf(q float64, n uint64) uint64 {
	rank := uint64(math.Ceil(q * float64(n)))
	return min(max(rank, 1), n)
}

// sparse returns the non-empty buckets.
func (h *hist) sparse() Histogram {
	out := Histogram{Buckets: []Bucket{}}
	for i, c := range h.counts {
		if c != 0 {
			low, high := bucketBounds(i)
			out.Buckets = append(out.Buckets, Bucket{LowNs: low, HighNs: high, Count: c})
		}
	}
	return out
}

// Count returns the number of values in the histogram.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, b := range h.Buckets {
		n += b.Count
	}
	return n
}

// Quantile returns the q-quantile (0 <= q <= 1) of the histogram, the middle
// of the bucket holding the value of rank ceil(q*count): within
// MaxRelativeError of the exact quantile. It is 0 for an empty histogram.
func (h Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := rankOf(q, n)
	var seen uint64
	for _, b := range h.Buckets {
		if seen += b.Count; seen >= rank {
			return time.Duration(representative(b.LowNs, b.HighNs))
		}
	}
	last := h.Buckets[len(h.Buckets)-1]
	return time.Duration(representative(last.LowNs, last.HighNs))
}

// Merge returns the histogram holding the values of both. Buckets with the
// same bounds add up; histograms from this package always share bounds.
func (h Histogram) Merge(o Histogram) Histogram {
	byLow := map[int64]Bucket{}
	for _, bs := range [][]Bucket{h.Buckets, o.Buckets} {
		for _, b := range bs {
			m := byLow[b.LowNs]
			m.LowNs, m.HighNs = b.LowNs, max(m.HighNs, b.HighNs)
			m.Count += b.Count
			byLow[b.LowNs] = m
		}
	}
	out := Histogram{Buckets: make([]Bucket, 0, len(byLow))}
	for _, b := range byLow {
		out.Buckets = append(out.Buckets, b)
	}
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].LowNs < out.Buckets[j].LowNs })
	return out
}
