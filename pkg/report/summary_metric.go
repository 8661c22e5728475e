package report

import "github.com/drillkit/drill/pkg/metric"

// The one place the report meets pkg/metric. The leaf types convert
// directly while their fields match metric's; when metric changes shape
// the conversion stops compiling here, and the fields are mapped by hand
// so that the report's JSON stays as the schema says.

// SummaryOf turns the metric recorder's summary into the report's. Maps
// and the order of lists are kept; nothing is copied deeper than needed.
func SummaryOf(m metric.Summary) Summary {
	return Summary{
		Start: m.Start, End: m.End, Duration: m.Duration,
		Requests: m.Requests, Successes: m.Successes,
		Rate: m.Rate, Throughput: m.Throughput,
		Codes: m.Codes, Errors: m.Errors,
		ErrorSet:  convert(m.ErrorSet, func(e metric.ErrorCount) ErrorCount { return ErrorCount(e) }),
		ByName:    convert(m.ByName, func(n metric.NamedRequests) NamedRequests { return NamedRequests(n) }),
		Latency:   Latency(m.Latency),
		Histogram: Histogram{Buckets: convert(m.Histogram.Buckets, func(b metric.Bucket) Bucket { return Bucket(b) })},
		Timeline:  convert(m.Timeline, func(s metric.Second) Second { return Second(s) }),
		Backends:  convert(m.Backends, func(b metric.Backend) Backend { return Backend(b) }),
		Bursts:    convert(m.Bursts, func(b metric.Burst) Burst { return Burst(b) }),
	}
}

// Metric turns the report's summary back into metric's, to evaluate
// metrics on a saved report (checks, compare).
func (s Summary) Metric() metric.Summary {
	return metric.Summary{
		Start: s.Start, End: s.End, Duration: s.Duration,
		Requests: s.Requests, Successes: s.Successes,
		Rate: s.Rate, Throughput: s.Throughput,
		Codes: s.Codes, Errors: s.Errors,
		ErrorSet:  convert(s.ErrorSet, func(e ErrorCount) metric.ErrorCount { return metric.ErrorCount(e) }),
		ByName:    convert(s.ByName, func(n NamedRequests) metric.NamedRequests { return metric.NamedRequests(n) }),
		Latency:   metric.Latency(s.Latency),
		Histogram: metric.Histogram{Buckets: convert(s.Histogram.Buckets, func(b Bucket) metric.Bucket { return metric.Bucket(b) })},
		Timeline:  convert(s.Timeline, func(x Second) metric.Second { return metric.Second(x) }),
		Backends:  convert(s.Backends, func(b Backend) metric.Backend { return metric.Backend(b) }),
		Bursts:    convert(s.Bursts, func(b Burst) metric.Burst { return metric.Burst(b) }),
	}
}

// Value returns the named metric over the whole run, as metric.Summary.Value
// defines it.
func (s Summary) Value(name string) (float64, bool) {
	return s.Metric().Value(name)
}

// convert maps a list, keeping nil as nil (a nil timeline is null in the
// JSON, an empty one []).
func convert[F, T any](in []F, f func(F) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
