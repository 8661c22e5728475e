// Package metric aggregates load results as they stream in: counts, error
// classes, latency quantiles, a per-second timeline, per-backend share and
// error bursts. Memory stays bounded however long the run.
package metric

import "time"

// Error classes a failed request is sorted into.
const (
	ClassRefused = "refused"
	ClassReset   = "reset"
	ClassTimeout = "timeout"
	ClassEOF     = "eof"
	ClassTLS     = "tls"
	ClassHTTP    = "http" // a response with a failing status code and no transport error
	// ClassCancelled: the run stopped (abortWhen, interrupt) before the
	// response arrived and the request was cancelled.
	ClassCancelled = "cancelled"
	ClassOther     = "other"
)

// Summary is the aggregate of a whole run. A report stores it as
// report.Summary, whose JSON is pinned by the report's schema.
type Summary struct {
	Start    time.Time     `json:"start"`
	End      time.Time     `json:"end"`
	Duration time.Duration `json:"durationNs"`

	Requests  uint64 `json:"requests"`
	Successes uint64 `json:"successes"`
	// Rate is requests per second from the first request's start to the
	// last's; Throughput is successes per second from the first request's
	// start to the last response. Both are vegeta's; Throughput <= Rate.
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`

	// Codes counts responses by status code ("200", "502"; "0" for no response).
	Codes map[string]uint64 `json:"codes"`
	// Errors counts failed requests by class (Class* constants).
	Errors map[string]uint64 `json:"errors"`
	// ErrorSet counts failed requests by error message, most frequent
	// first (at most MaxErrorMessages; the rest under OtherErrors).
	ErrorSet []ErrorCount `json:"errorSet,omitempty"`
	// ByName breaks the requests down by request name (at most
	// MaxRequestNames; the rest under OtherRequests), in name order.
	ByName []NamedRequests `json:"byName,omitempty"`

	Latency   Latency   `json:"latency"`
	Histogram Histogram `json:"histogram"`
	Timeline  []Second  `json:"timeline"`
	Backends  []Backend `json:"backends,omitempty"`
	Bursts    []Burst   `json:"bursts,omitempty"`
}

// Latency holds latency statistics of all requests.
type Latency struct {
	Mean time.Duration `json:"meanNs"`
	P50  time.Duration `json:"p50Ns"`
	P90  time.Duration `json:"p90Ns"`
	P95  time.Duration `json:"p95Ns"`
	P99  time.Duration `json:"p99Ns"`
	P999 time.Duration `json:"p999Ns"`
	Max  time.Duration `json:"maxNs"`
}

// Histogram is a sparse log-linear latency histogram of all requests: bucket
// i counts the requests with a latency in [LowNs, HighNs). Below 128ns every
// nanosecond has a bucket; above, each power of two is split into 64 equal
// buckets, so quantiles are within MaxRelativeError (0.79%). It is mergeable
// (fixed bounds) and lets offline tools (compare) resample the distribution
// without the raw results.
type Histogram struct {
	// Buckets are the non-empty buckets in increasing order.
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one non-empty histogram bucket.
type Bucket struct {
	LowNs  int64  `json:"lowNs"`
	HighNs int64  `json:"highNs"`
	Count  uint64 `json:"count"`
}

// Second is one second of the run's timeline, counted by request start time.
type Second struct {
	// T is the offset of this second from the start of the run, in seconds.
	T         int               `json:"t"`
	Requests  uint64            `json:"requests"`
	Successes uint64            `json:"successes"`
	Codes     map[string]uint64 `json:"codes,omitempty"`
	Errors    map[string]uint64 `json:"errors,omitempty"`
	P50       time.Duration     `json:"p50Ns"`
	// P90 is absent (zero) in reports of drill versions before it was added.
	P90 time.Duration `json:"p90Ns,omitempty"`
	P99 time.Duration `json:"p99Ns"`
	Max time.Duration `json:"maxNs"`
	// Backends counts this second's responses by backend name.
	Backends map[string]uint64 `json:"backends,omitempty"`
}

// Backend is one backend's share of the responses that named a backend.
type Backend struct {
	Name     string  `json:"name"`
	Requests uint64  `json:"requests"`
	Share    float64 `json:"share"`
}

// Burst is a run of consecutive seconds in which some requests failed.
type Burst struct {
	// StartT and EndT are offsets in seconds; EndT is exclusive.
	StartT   int    `json:"startT"`
	EndT     int    `json:"endT"`
	Failures uint64 `json:"failures"`
	// Recovery is the time from the start of second StartT to the start of
	// the first later second that had requests and no failure (so at least
	// EndT-StartT seconds); zero when the run ended first.
	Recovery time.Duration `json:"recoveryNs"`
}
