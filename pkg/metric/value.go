package metric

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Value returns the value of the named metric over the whole run: counts as
// numbers, ratios as fractions from 0 to 1, durations in seconds. ok is false
// for an unknown name and for a metric without data (latency or rates of a
// run without requests, backend_share_cv without backends).
//
// Names: requests, successes, success_rate, error_rate, rate, throughput,
// status_2xx..status_5xx, status_NNN, errors, errors_<class>, p50, p90, p95,
// p99, p999, max_latency, mean_latency, max_error_burst (longest burst,
// EndT-StartT), error_seconds (seconds with a failure), time_to_recover (the
// longest Burst.Recovery; for a burst the run ended in, the time from its
// start to the end of the timeline, a lower bound), backends (distinct
// backends) and backend_share_cv (standard deviation over mean of the
// per-backend request counts; 0 with a single backend).
func (s Summary) Value(name string) (float64, bool) {
	if v, ok, known := counts(name, s.Requests, s.Successes, s.Codes, s.Errors); known {
		return v, ok
	}
	hasData := s.Requests > 0
	switch name {
	case "rate":
		return s.Rate, hasData
	case "throughput":
		return s.Throughput, hasData
	case "p50":
		return seconds(s.Latency.P50), hasData
	case "p90":
		return seconds(s.Latency.P90), hasData
	case "p95":
		return seconds(s.Latency.P95), hasData
	case "p99":
		return seconds(s.Latency.P99), hasData
	case "p999":
		return seconds(s.Latency.P999), hasData
	case "max_latency":
		return seconds(s.Latency.Max), hasData
	case "mean_latency":
		return seconds(s.Latency.Mean), hasData
	case "max_error_burst":
		longest := 0
		for _, b := range s.Bursts {
			longest = max(longest, b.EndT-b.StartT)
		}
		return float64(longest), true
	case "error_seconds":
		n := 0
		for _, sec := range s.Timeline {
			if failures(sec) > 0 {
				n++
			}
		}
		return float64(n), true
	case "time_to_recover":
		worst := time.Duration(0)
		for _, b := range s.Bursts {
			r := b.Recovery
			if r == 0 {
				r = time.Duration(len(s.Timeline)-b.StartT) * time.Second
			}
			worst = max(worst, r)
		}
		return seconds(worst), true
	case "backends":
		return float64(len(s.Backends)), true
	case "backend_share_cv":
		return shareCV(s.Backends)
	}
	return 0, false
}

// Value returns the value of the named metric over one second. It knows
// requests, successes, success_rate, error_rate, rate (requests in the
// second), status_*, errors, errors_<class>, p50, p99 and max_latency, with
// the units and rules of Summary.Value.
func (s Second) Value(name string) (float64, bool) {
	if v, ok, known := counts(name, s.Requests, s.Successes, s.Codes, s.Errors); known {
		return v, ok
	}
	hasData := s.Requests > 0
	switch name {
	case "rate":
		return float64(s.Requests), true
	case "p50":
		return seconds(s.P50), hasData
	case "p99":
		return seconds(s.P99), hasData
	case "max_latency":
		return seconds(s.Max), hasData
	}
	return 0, false
}

// counts evaluates the metrics Summary and Second share; known is false when
// name is none of them.
func counts(name string, requests, successes uint64, codes, errors map[string]uint64) (v float64, ok, known bool) {
	switch name {
	case "requests":
		return float64(requests), true, true
	case "successes":
		return float64(successes), true, true
	case "success_rate":
		if requests == 0 {
			return 0, false, true
		}
		return float64(successes) / float64(requests), true, true
	case "error_rate":
		if requests == 0 {
			return 0, false, true
		}
		return float64(requests-min(successes, requests)) / float64(requests), true, true
	case "errors":
		return float64(requests - min(successes, requests)), true, true
	}
	if class, found := strings.CutPrefix(name, "errors_"); found {
		for i := range nClasses {
			if c := className(i); c == class {
				return float64(errors[c]), true, true
			}
		}
		return 0, false, false
	}
	if d, found := strings.CutPrefix(name, "status_"); found && len(d) == 3 {
		if d[1:] == "xx" && d[0] >= '1' && d[0] <= '5' {
			var n uint64
			for code, c := range codes {
				if len(code) == 3 && code[0] == d[0] {
					n += c
				}
			}
			return float64(n), true, true
		}
		if code, err := strconv.Atoi(d); err == nil && code >= 100 && code <= 599 {
			return float64(codes[d]), true, true
		}
	}
	return 0, false, false
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// shareCV is the coefficient of variation (population standard deviation
// over mean) of the backends' request counts.
func shareCV(bs []Backend) (float64, bool) {
	if len(bs) == 0 {
		return 0, false
	}
	var sum float64
	for _, b := range bs {
		sum += float64(b.Requests)
	}
	mean := sum / float64(len(bs))
	if mean == 0 {
		return 0, false
	}
	var ss float64
	for _, b := range bs {
		d := float64(b.Requests) - mean
		ss += d * d
	}
	return math.Sqrt(ss/float64(len(bs))) / mean, true
}
