package metric

import (
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Defaults and limits of a Recorder.
const (
	// DefaultSettle is how long a second keeps collecting latencies of late
	// results when Options.Settle is zero: vegeta's default request timeout
	// plus a margin.
	DefaultSettle = 35 * time.Second
	// MaxBackends bounds the distinct backend names counted; responses of
	// further backends count as OtherBackend.
	MaxBackends = 1000
	// OtherBackend is the name under which backends beyond MaxBackends count.
	OtherBackend = "(other)"
	// maxSeconds bounds the timeline (12 days) against absurd timestamps.
	maxSeconds = 1 << 20
)

// Options configure a Recorder.
type Options struct {
	// Start is t=0 of the timeline. Zero means the timestamp of the first
	// result added. Results that started before Start count in second 0.
	Start time.Time
	// BackendHeader names the response header that says which backend
	// answered (e.g. "X-Backend"); empty disables backend counting.
	BackendHeader string
	// Success tells whether a status code counts as a success; nil means
	// 2xx and 3xx. A result without a response never succeeds.
	Success func(code uint16) bool
	// Settle is how long after a second ends its latency histogram is kept
	// for results that arrive late (slow requests started in that second);
	// DefaultSettle when zero. Set it above the request timeout. Counts of
	// later results are still exact; only that second's p50/p99 miss them.
	Settle time.Duration
}

// DefaultSuccess counts 2xx and 3xx status codes as successes.
func DefaultSuccess(code uint16) bool { return code >= 200 && code < 400 }

// Recorder aggregates results as they stream in, with constant work per
// result and memory that does not grow with the number of results: overall
// counts and latency histogram, and one small record per second of the run.
// A Recorder is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	success func(uint16) bool
	backend string // canonical header key
	settle  int    // seconds

	start     time.Time
	requests  uint64
	successes uint64
	codes     map[uint16]uint64
	errors    [nClasses]uint64
	backends  map[string]uint64
	errorSet  errorSet
	byName    byName
	latency   *hist
	sumNs     float64
	first     time.Time // earliest request start
	last      time.Time // latest request start
	end       time.Time // latest request end

	seconds   []*secState
	watermark int     // highest second seen
	finalized int     // seconds below this have released their histogram
	emitted   int     // seconds handed out by Seconds
	free      []*hist // released histograms for reuse
}

// secState is one second of the timeline while the run goes on.
type secState struct {
	requests      uint64
	successes     uint64
	codes         map[uint16]uint64
	errors        [nClasses]uint64
	backends      map[string]uint64
	max           int64
	hist          *hist // nil once finalized
	p50, p90, p99 int64 // set when finalized
}

// New returns an empty Recorder.
func New(opts Options) *Recorder {
	rec := &Recorder{
		success:  opts.Success,
		start:    opts.Start,
		codes:    map[uint16]uint64{},
		backends: map[string]uint64{},
		latency:  newHist(),
		settle:   int((opts.Settle + time.Second - 1) / time.Second),
	}
	if rec.success == nil {
		rec.success = DefaultSuccess
	}
	if opts.BackendHeader != "" {
		rec.backend = http.CanonicalHeaderKey(opts.BackendHeader)
	}
	if opts.Settle == 0 {
		rec.settle = int(DefaultSettle / time.Second)
	}
	return rec
}

// Add records one result. Its second on the timeline is that of its start
// (Timestamp); its latency counts in the overall and per-second histograms.
func (rec *Recorder) Add(r *vegeta.Result) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.start.IsZero() {
		rec.start = r.Timestamp
	}
	t := 0
	if off := r.Timestamp.Sub(rec.start); off > 0 {
		t = int(min(off/time.Second, maxSeconds-1))
	}
	for len(rec.seconds) <= t {
		rec.seconds = append(rec.seconds, nil)
	}
	s := rec.seconds[t]
	if s == nil {
		s = &secState{codes: map[uint16]uint64{}, hist: rec.newHist()}
		rec.seconds[t] = s
	}

	lat := max(int64(r.Latency), 0)
	ok := r.Code != 0 && rec.success(r.Code)
	rec.byName.add(r.Attack, ok, lat, rec.total())
	rec.requests++
	s.requests++
	rec.codes[r.Code]++
	s.codes[r.Code]++
	if ok {
		rec.successes++
		s.successes++
	} else {
		c := classify(r)
		rec.errors[c]++
		s.errors[c]++
		rec.errorSet.add(r.Error)
	}
	if rec.backend != "" {
		if v := r.Headers[rec.backend]; len(v) > 0 && v[0] != "" {
			name := boundedKey(rec.backends, v[0], MaxBackends, OtherBackend)
			rec.backends[name]++
			if s.backends == nil {
				s.backends = map[string]uint64{}
			}
			s.backends[name]++
		}
	}
	rec.latency.add(lat)
	rec.sumNs += float64(lat)
	s.max = max(s.max, lat)
	if s.hist != nil {
		s.hist.add(lat)
	}
	if rec.first.IsZero() || r.Timestamp.Before(rec.first) {
		rec.first = r.Timestamp
	}
	if r.Timestamp.After(rec.last) {
		rec.last = r.Timestamp
	}
	if e := r.Timestamp.Add(r.Latency); e.After(rec.end) {
		rec.end = e
	}

	if t < rec.finalized && s.hist != nil {
		rec.finalize(s)
	}
	if t > rec.watermark {
		rec.watermark = t
		for ; rec.finalized < t-rec.settle; rec.finalized++ {
			if fs := rec.seconds[rec.finalized]; fs != nil && fs.hist != nil {
				rec.finalize(fs)
			}
		}
	}
}

// total is what the Recorder counted so far, as one name's numbers.
func (rec *Recorder) total() nameState {
	return nameState{requests: rec.requests, successes: rec.successes, hist: rec.latency}
}

func (rec *Recorder) newHist() *hist {
	if n := len(rec.free); n > 0 {
		h := rec.free[n-1]
		rec.free = rec.free[:n-1]
		return h
	}
	return newHist()
}

// finalize keeps a second's quantiles and releases its histogram.
func (rec *Recorder) finalize(s *secState) {
	s.p50, s.p90, s.p99 = s.hist.quantile(0.5), s.hist.quantile(0.9), s.hist.quantile(0.99)
	s.hist.reset()
	rec.free = append(rec.free, s.hist)
	s.hist = nil
}

// Seconds returns, once each and in order, the seconds of the timeline that
// ended at or before upTo, with what was recorded for them so far. A second
// holds the requests that started in it, and only those that have completed:
// pass the current time minus a lag (say one second plus the usual latency)
// for seconds that are nearly complete. It returns nil before the first
// result when Options.Start is zero.
func (rec *Recorder) Seconds(upTo time.Time) []Second {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.start.IsZero() {
		return nil
	}
	n := int(min(upTo.Sub(rec.start)/time.Second, maxSeconds))
	var out []Second
	for ; rec.emitted < n; rec.emitted++ {
		out = append(out, rec.second(rec.emitted))
	}
	return out
}

// second returns the current view of second t.
func (rec *Recorder) second(t int) Second {
	out := Second{T: t}
	if t >= len(rec.seconds) || rec.seconds[t] == nil {
		return out
	}
	s := rec.seconds[t]
	out.Requests, out.Successes = s.requests, s.successes
	out.Codes = codeMap(s.codes)
	out.Errors = errorMap(&s.errors)
	out.Max = time.Duration(s.max)
	if s.hist != nil {
		out.P50, out.P90, out.P99 = time.Duration(s.hist.quantile(0.5)), time.Duration(s.hist.quantile(0.9)), time.Duration(s.hist.quantile(0.99))
	} else {
		out.P50, out.P90, out.P99 = time.Duration(s.p50), time.Duration(s.p90), time.Duration(s.p99)
	}
	if len(s.backends) > 0 {
		out.Backends = make(map[string]uint64, len(s.backends))
		for k, v := range s.backends {
			out.Backends[k] = v
		}
	}
	return out
}

func codeMap(m map[uint16]uint64) map[string]uint64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]uint64, len(m))
	for c, n := range m {
		out[strconv.Itoa(int(c))] = n
	}
	return out
}

func errorMap(e *[nClasses]uint64) map[string]uint64 {
	var out map[string]uint64
	for i, n := range e {
		if n != 0 {
			if out == nil {
				out = map[string]uint64{}
			}
			out[className(i)] = n
		}
	}
	return out
}

// Summary returns the aggregate of everything recorded so far. It does not
// change the Recorder: more results may be added and Summary called again.
func (rec *Recorder) Summary() Summary {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	s := Summary{
		Start:     rec.start,
		End:       rec.end,
		Requests:  rec.requests,
		Successes: rec.successes,
		Codes:     codeMap(rec.codes),
		Errors:    errorMap(&rec.errors),
		Histogram: rec.latency.sparse(),
		Timeline:  []Second{},
	}
	if s.Codes == nil {
		s.Codes = map[string]uint64{}
	}
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
	if rec.requests == 0 {
		return s
	}
	s.Duration = rec.end.Sub(rec.start)
	// vegeta's definitions, so that `vegeta report` on results.bin shows the
	// same: rate is requests per second from the first request's start to
	// the last's, throughput successes per second from the first start to
	// the last response. Throughput is never above rate.
	sent, done := rec.last.Sub(rec.first), rec.end.Sub(rec.first)
	if sent <= 0 {
		sent = done // all requests started at once
	}
	if sent > 0 {
		s.Rate = float64(rec.requests) / sent.Seconds()
	}
	if done > 0 {
		s.Throughput = float64(rec.successes) / done.Seconds()
	}
	h := rec.latency
	s.Latency = Latency{
		Mean: time.Duration(rec.sumNs / float64(rec.requests)),
		P50:  time.Duration(h.quantile(0.50)),
		P90:  time.Duration(h.quantile(0.90)),
		P95:  time.Duration(h.quantile(0.95)),
		P99:  time.Duration(h.quantile(0.99)),
		P999: time.Duration(h.quantile(0.999)),
		Max:  time.Duration(h.max),
	}
	for t := range rec.seconds {
		s.Timeline = append(s.Timeline, rec.second(t))
	}
	s.Bursts = findBursts(s.Timeline)
	s.Backends = shares(rec.backends)
	s.ErrorSet = rec.errorSet.list()
	s.ByName = rec.byName.list(rec.total())
	return s
}

// shares returns the backends sorted by name with their share of the
// responses that named a backend.
func shares(m map[string]uint64) []Backend {
	if len(m) == 0 {
		return nil
	}
	var total uint64
	for _, n := range m {
		total += n
	}
	out := make([]Backend, 0, len(m))
	for name, n := range m {
		out = append(out, Backend{Name: name, Requests: n, Share: float64(n) / float64(total)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
