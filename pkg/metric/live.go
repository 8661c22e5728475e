package metric

// Live is one second of the timeline as abortWhen and the progress line see
// it while the run goes on, a grace period after the second ended: the
// requests of Second that completed, plus those that started in it and
// still had no result (NoResponse), plus those the schedule called for in
// it that could not be sent because every worker was held by a request in
// flight (NotSent). NoResponse and NotSent count as requests that failed.
type Live struct {
	Second
	NoResponse uint64
	NotSent    uint64
}

// Value returns the value of the named metric over the second, like
// Second.Value, except that requests, errors, success_rate and error_rate
// count NoResponse and NotSent as failed requests, and rate counts the
// requests sent (completed and NoResponse). Latencies are those of the
// completed requests.
func (l Live) Value(name string) (float64, bool) {
	switch name {
	case "rate":
		return float64(l.Requests + l.NoResponse), true
	case "requests", "errors", "success_rate", "error_rate":
		v, ok, _ := counts(name, l.Requests+l.NoResponse+l.NotSent, l.Successes, nil, nil)
		return v, ok
	}
	return l.Second.Value(name)
}
