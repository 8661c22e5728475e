package report

import "time"

// Summary is the load part of a report: the aggregate of every request of
// the run. It mirrors metric.Summary field for field but belongs to the
// document, so its JSON changes only with the schema (see SummaryOf).
type Summary struct {
	Start    time.Time     `json:"start"`
	End      time.Time     `json:"end"`
	Duration time.Duration `json:"durationNs"`

	Requests  uint64 `json:"requests"`
	Successes uint64 `json:"successes"`
	// Rate is requests per second from the first request's start to the
	// last's; Throughput is successes per second from the first request's
	// start to the last response.
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`

	// Codes counts responses by status code ("200", "502"; "0" for no response).
	Codes map[string]uint64 `json:"codes"`
	// Errors counts failed requests by error class (metric.Class*).
	Errors map[string]uint64 `json:"errors"`
	// ErrorSet counts failed requests by error message, most frequent first.
	ErrorSet []ErrorCount `json:"errorSet,omitempty"`
	// ByName breaks the requests down by request name, in name order.
	ByName []NamedRequests `json:"byName,omitempty"`

	Latency   Latency   `json:"latency"`
	Histogram Histogram `json:"histogram"`
	Timeline  []Second  `json:"timeline"`
	Backends  []Backend `json:"backends,omitempty"`
	Bursts    []Burst   `json:"bursts,omitempty"`
}

// ErrorCount is how many failed requests had one error message.
type ErrorCount struct {
	Message string `json:"message"`
	Count   uint64 `json:"count"`
}

// NamedRequests are the requests of one request name of the scenario.
type NamedRequests struct {
	Name      string        `json:"name"`
	Requests  uint64        `json:"requests"`
	Successes uint64        `json:"successes"`
	P50       time.Duration `json:"p50Ns"`
	P99       time.Duration `json:"p99Ns"`
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

// Histogram is the latency histogram of all requests: bucket i counts the
// requests with a latency in [LowNs, HighNs). It lets compare resample the
// distribution without the raw results.
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
	// the first later second that had requests and no failure; zero when
	// the run ended first.
	Recovery time.Duration `json:"recoveryNs"`
}

// Length is how long the burst lasted.
func (b Burst) Length() time.Duration {
	return time.Duration(max(b.EndT-b.StartT, 0)) * time.Second
}
