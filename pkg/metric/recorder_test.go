package metric

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is a run of eight seconds with known outcomes:
//
//	T  requests  failures
//	0  10        -
//	1  10        2 × 503
//	2  10        3 refused, 2 timeouts
//	3  0         (no requests)
//	4  10        1 EOF
//	5  10        -
//	6  10        -
//	7  10        1 reset
func fixture() (results []*vegeta.Result, backends map[string]uint64) {
	fail := map[int][]vegeta.Result{
		1: {{Code: 503, Error: "503 Service Unavailable"}, {Code: 503, Error: "503 Service Unavailable"}},
		2: {
			{Error: `Get "http://x/": dial tcp 127.0.0.1:9: connect: connection refused`},
			{Error: `Get "http://x/": dial tcp 127.0.0.1:9: connect: connection refused`},
			{Error: `Get "http://x/": dial tcp 127.0.0.1:9: connect: connection refused`},
			{Error: `Get "http://x/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`},
			{Error: `Get "http://x/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`},
		},
		4: {{Error: `Get "http://x/": EOF`}},
		7: {{Error: `Get "http://x/": read: connection reset by peer`}},
	}
	backends = map[string]uint64{}
	names := []string{"pod-a", "pod-b", "pod-c"}
	n := 0
	for T := 0; T < 8; T++ {
		if T == 3 {
			continue
		}
		for j := 0; j < 10; j++ {
			r := vegeta.Result{Code: 200}
			if j < len(fail[T]) {
				r = fail[T][j]
			}
			r.Seq = uint64(len(results))
			r.Timestamp = t0.Add(time.Duration(T)*time.Second + time.Duration(j)*100*time.Millisecond)
			r.Latency = time.Duration(T*10+j+1) * time.Millisecond
			if r.Code != 0 {
				name := names[n%3]
				if T == 0 && j == 0 {
					name = "pod-d"
				}
				n++
				r.Headers = http.Header{"X-Backend": {name}}
				backends[name]++
			}
			results = append(results, &r)
		}
	}
	return results, backends
}

func fixtureSummary(t *testing.T) Summary {
	t.Helper()
	rs, _ := fixture()
	rec := New(Options{Start: t0, BackendHeader: "x-backend"})
	for _, r := range rs {
		rec.Add(r)
	}
	return rec.Summary()
}

func TestSummaryCounts(t *testing.T) {
	s := fixtureSummary(t)
	if s.Requests != 70 || s.Successes != 61 {
		t.Errorf("requests %d successes %d, want 70 61", s.Requests, s.Successes)
	}
	if want := map[string]uint64{"200": 61, "503": 2, "0": 7}; !reflect.DeepEqual(s.Codes, want) {
		t.Errorf("codes %v, want %v", s.Codes, want)
	}
	if want := map[string]uint64{ClassHTTP: 2, ClassRefused: 3, ClassTimeout: 2, ClassEOF: 1, ClassReset: 1}; !reflect.DeepEqual(s.Errors, want) {
		t.Errorf("errors %v, want %v", s.Errors, want)
	}
	if len(s.Timeline) != 8 {
		t.Fatalf("timeline has %d seconds, want 8", len(s.Timeline))
	}
	wantReq := []uint64{10, 10, 10, 0, 10, 10, 10, 10}
	wantOK := []uint64{10, 8, 5, 0, 9, 10, 10, 9}
	for i, sec := range s.Timeline {
		if sec.T != i || sec.Requests != wantReq[i] || sec.Successes != wantOK[i] {
			t.Errorf("second %d: T %d requests %d successes %d, want %d %d", i, sec.T, sec.Requests, sec.Successes, wantReq[i], wantOK[i])
		}
	}
	if got := s.Timeline[2].Errors; !reflect.DeepEqual(got, map[string]uint64{ClassRefused: 3, ClassTimeout: 2}) {
		t.Errorf("second 2 errors %v", got)
	}
	// Second 2 latencies are 21..30ms: p50 is rank 5 (25ms), p90 rank 9,
	// p99 rank 10.
	if sec := s.Timeline[2]; !within(sec.P50, 25*time.Millisecond) || !within(sec.P90, 29*time.Millisecond) || !within(sec.P99, 30*time.Millisecond) || sec.Max != 30*time.Millisecond {
		t.Errorf("second 2 p50 %s p90 %s p99 %s max %s", sec.P50, sec.P90, sec.P99, sec.Max)
	}
	if !s.Start.Equal(t0) || !s.End.Equal(t0.Add(7900*time.Millisecond+80*time.Millisecond)) {
		t.Errorf("start %s end %s", s.Start, s.End)
	}
	if want := 70 / 7.9; math.Abs(s.Rate-want) > 1e-9 {
		t.Errorf("rate %g, want %g", s.Rate, want)
	}
	if want := 61 / 7.98; math.Abs(s.Throughput-want) > 1e-9 {
		t.Errorf("throughput %g, want %g", s.Throughput, want)
	}
}

// Throughput (successes per second) can never be above rate (requests per
// second): fewer or as many successes, over at least as long a window.
func TestThroughputNeverAboveRate(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10} {
		rec := New(Options{Start: t0})
		for i := range n {
			rec.Add(&vegeta.Result{Timestamp: t0.Add(time.Duration(i) * time.Second), Latency: time.Millisecond, Code: 200})
		}
		s := rec.Summary()
		if s.Throughput > s.Rate || s.Rate == 0 {
			t.Errorf("%d requests: throughput %g above rate %g", n, s.Throughput, s.Rate)
		}
	}
}

func within(got, want time.Duration) bool {
	return math.Abs(float64(got-want)) <= MaxRelativeError*float64(want)
}

func TestSummaryLatency(t *testing.T) {
	rs, _ := fixture()
	s := fixtureSummary(t)
	var lat []int64
	var sum time.Duration
	for _, r := range rs {
		lat = append(lat, int64(r.Latency))
		sum += r.Latency
	}
	slices.Sort(lat)
	for _, tt := range []struct {
		name string
		got  time.Duration
		q    float64
	}{
		{"p50", s.Latency.P50, 0.5}, {"p90", s.Latency.P90, 0.9}, {"p95", s.Latency.P95, 0.95},
		{"p99", s.Latency.P99, 0.99}, {"p999", s.Latency.P999, 0.999}, {"max", s.Latency.Max, 1},
	} {
		if want := time.Duration(exactQuantile(lat, tt.q)); !within(tt.got, want) {
			t.Errorf("%s = %s, want %s within %.2f%%", tt.name, tt.got, want, 100*MaxRelativeError)
		}
	}
	if want := sum / 70; s.Latency.Mean != want {
		t.Errorf("mean %s, want %s", s.Latency.Mean, want)
	}
	if s.Histogram.Count() != 70 {
		t.Errorf("histogram holds %d requests", s.Histogram.Count())
	}
}

func TestSummaryBurstsAndBackends(t *testing.T) {
	_, backends := fixture()
	s := fixtureSummary(t)
	// Seconds 1, 2 and 4 fail; the empty second 3 does not break the burst.
	// Second 5 is the first clean one: recovery after 4s. The burst in the
	// last second never recovers.
	want := []Burst{
		{StartT: 1, EndT: 5, Failures: 8, Recovery: 4 * time.Second},
		{StartT: 7, EndT: 8, Failures: 1},
	}
	if !reflect.DeepEqual(s.Bursts, want) {
		t.Errorf("bursts %+v, want %+v", s.Bursts, want)
	}
	if len(s.Backends) != 4 {
		t.Fatalf("backends %+v", s.Backends)
	}
	var total uint64
	for _, n := range backends {
		total += n
	}
	for _, b := range s.Backends {
		if b.Requests != backends[b.Name] || math.Abs(b.Share-float64(b.Requests)/float64(total)) > 1e-12 {
			t.Errorf("backend %+v, want %d requests of %d", b, backends[b.Name], total)
		}
	}
	if got := s.Timeline[0].Backends["pod-d"]; got != 1 {
		t.Errorf("second 0 counts pod-d %d times", got)
	}
}

func TestSummaryValue(t *testing.T) {
	s := fixtureSummary(t)
	_, backends := fixture()
	var mean, ss float64
	for _, n := range backends {
		mean += float64(n) / 4
	}
	for _, n := range backends {
		ss += (float64(n) - mean) * (float64(n) - mean)
	}
	cv := math.Sqrt(ss/4) / mean
	tests := []struct {
		name   string
		want   float64
		wantOK bool
	}{
		{"requests", 70, true},
		{"successes", 61, true},
		{"success_rate", 61.0 / 70, true},
		{"error_rate", 9.0 / 70, true},
		{"rate", 70 / 7.9, true},
		{"throughput", 61 / 7.98, true},
		{"status_2xx", 61, true},
		{"status_5xx", 2, true},
		{"status_4xx", 0, true},
		{"status_503", 2, true},
		{"status_404", 0, true},
		{"errors", 9, true},
		{"errors_refused", 3, true},
		{"errors_reset", 1, true},
		{"errors_timeout", 2, true},
		{"errors_eof", 1, true},
		{"errors_tls", 0, true},
		{"errors_http", 2, true},
		{"errors_other", 0, true},
		{"max_latency", 0.080, true},
		{"max_error_burst", 4, true},
		{"error_seconds", 4, true},
		{"time_to_recover", 4, true},
		{"backends", 4, true},
		{"backend_share_cv", cv, true},
		{"errors_bogus", 0, false},
		{"status_999", 0, false},
		{"status_6xx", 0, false},
		{"p42", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Value(tt.name)
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Value(%q) = %g, %v; want %g, %v", tt.name, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	for _, name := range []string{"p50", "p90", "p95", "p99", "p999", "mean_latency"} {
		if v, ok := s.Value(name); !ok || v <= 0 || v > 0.08 {
			t.Errorf("Value(%q) = %g, %v", name, v, ok)
		}
	}
	// Without requests, ratios and latencies have no value.
	var empty Summary
	for _, name := range []string{"success_rate", "error_rate", "p50", "p99", "max_latency", "mean_latency", "rate", "backend_share_cv"} {
		if _, ok := empty.Value(name); ok {
			t.Errorf("empty summary has a value for %s", name)
		}
	}
	if v, ok := empty.Value("requests"); !ok || v != 0 {
		t.Errorf("empty requests = %g, %v", v, ok)
	}
	if v, ok := (Summary{Backends: []Backend{{Name: "x", Requests: 5, Share: 1}}}).Value("backend_share_cv"); !ok || v != 0 {
		t.Errorf("single backend cv = %g, %v; want 0, true", v, ok)
	}
}

func TestSecondValue(t *testing.T) {
	sec := fixtureSummary(t).Timeline[2]
	tests := []struct {
		name   string
		want   float64
		wantOK bool
	}{
		{"requests", 10, true},
		{"successes", 5, true},
		{"success_rate", 0.5, true},
		{"error_rate", 0.5, true},
		{"rate", 10, true},
		{"status_2xx", 5, true},
		{"status_000", 0, false},
		{"status_200", 5, true},
		{"errors", 5, true},
		{"errors_refused", 3, true},
		{"errors_timeout", 2, true},
		{"errors_http", 0, true},
		{"max_latency", 0.030, true},
		{"p999", 0, false},
		{"throughput", 0, false},
		{"time_to_recover", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := sec.Value(tt.name)
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Value(%q) = %g, %v; want %g, %v", tt.name, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	if v, ok := sec.Value("p99"); !ok || math.Abs(v-0.030) > 0.030*MaxRelativeError {
		t.Errorf("p99 = %g, %v", v, ok)
	}
	if _, ok := (Second{T: 3}).Value("p50"); ok {
		t.Error("a second without requests has a p50")
	}
	if _, ok := (Second{T: 3}).Value("success_rate"); ok {
		t.Error("a second without requests has a success rate")
	}
}

func TestSecondsLive(t *testing.T) {
	rs, _ := fixture()
	if got := New(Options{}).Seconds(t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("%d seconds before any result without a start", len(got))
	}
	rec := New(Options{Start: t0})
	for _, r := range rs[:25] { // seconds 0, 1 and half of 2
		rec.Add(r)
	}
	got := rec.Seconds(t0.Add(2500 * time.Millisecond))
	if len(got) != 2 || got[0].T != 0 || got[1].T != 1 || got[1].Requests != 10 || got[1].Successes != 8 {
		t.Fatalf("first call: %+v", got)
	}
	if got := rec.Seconds(t0.Add(2900 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("second call repeats: %+v", got)
	}
	for _, r := range rs[25:] {
		rec.Add(r)
	}
	got = rec.Seconds(t0.Add(10 * time.Second))
	if len(got) != 8 || got[0].T != 2 || got[0].Requests != 10 || got[1].Requests != 0 || got[7].T != 9 {
		t.Fatalf("third call: %+v", got)
	}
}

func TestLateResults(t *testing.T) {
	rec := New(Options{Start: t0, Settle: 2 * time.Second})
	for T := 0; T < 10; T++ {
		for j := 0; j < 100; j++ {
			rec.Add(&vegeta.Result{Code: 200, Timestamp: t0.Add(time.Duration(T) * time.Second), Latency: time.Millisecond})
		}
	}
	// A slow request of second 0 arrives long after its histogram settled.
	rec.Add(&vegeta.Result{Error: "Get \"x\": context deadline exceeded", Timestamp: t0.Add(500 * time.Millisecond), Latency: 9 * time.Second})
	s := rec.Summary()
	sec := s.Timeline[0]
	if sec.Requests != 101 || sec.Successes != 100 || sec.Errors[ClassTimeout] != 1 || sec.Max != 9*time.Second {
		t.Errorf("second 0 after a late result: %+v", sec)
	}
	if !within(sec.P90, time.Millisecond) || !within(sec.P99, time.Millisecond) {
		t.Errorf("settled second's p90 %s, p99 %s changed", sec.P90, sec.P99)
	}
	if s.Latency.Max != 9*time.Second || s.Requests != 1001 {
		t.Errorf("overall max %s requests %d", s.Latency.Max, s.Requests)
	}
	// A second still open takes late latencies into its quantiles.
	for j := 0; j < 5; j++ {
		rec.Add(&vegeta.Result{Code: 200, Timestamp: t0.Add(9 * time.Second), Latency: 2 * time.Second})
	}
	if p99 := rec.Summary().Timeline[9].P99; !within(p99, 2*time.Second) {
		t.Errorf("open second's p99 %s, want 2s", p99)
	}
}

func TestBackendCap(t *testing.T) {
	rec := New(Options{Start: t0, BackendHeader: "X-Backend"})
	for i := 0; i < MaxBackends+50; i++ {
		rec.Add(&vegeta.Result{Code: 200, Timestamp: t0, Headers: http.Header{"X-Backend": {string(rune(0x4e00 + i))}}})
	}
	s := rec.Summary()
	if len(s.Backends) != MaxBackends+1 {
		t.Fatalf("%d backends, want %d", len(s.Backends), MaxBackends+1)
	}
	for _, b := range s.Backends {
		if b.Name == OtherBackend && b.Requests != 50 {
			t.Errorf("%s counts %d", OtherBackend, b.Requests)
		}
	}
}

func TestCustomSuccess(t *testing.T) {
	rec := New(Options{Start: t0, Success: func(c uint16) bool { return c == 200 || c == 404 }})
	rec.Add(&vegeta.Result{Code: 404, Error: "404 Not Found", Timestamp: t0})
	rec.Add(&vegeta.Result{Code: 302, Timestamp: t0})
	s := rec.Summary()
	if s.Successes != 1 || s.Errors[ClassHTTP] != 1 {
		t.Errorf("successes %d errors %v", s.Successes, s.Errors)
	}
}

func encode(t testing.TB, rs []*vegeta.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := vegeta.NewEncoder(&buf)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestAggregate(t *testing.T) {
	rs, _ := fixture()
	data := encode(t, rs)
	opts := Options{Start: t0, BackendHeader: "X-Backend"}
	got, err := Aggregate(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixtureSummary(t); !reflect.DeepEqual(got, want) {
		t.Errorf("Aggregate = %+v\nwant %+v", got, want)
	}

	// Without a start, the first result's timestamp is t=0.
	got, err = Aggregate(bytes.NewReader(data), Options{})
	if err != nil || !got.Start.Equal(t0) || len(got.Timeline) != 8 {
		t.Errorf("Aggregate without start: start %s, %d seconds, %v", got.Start, len(got.Timeline), err)
	}

	cut, err := Aggregate(bytes.NewReader(data[:len(data)-10]), opts)
	if !errors.Is(err, io.ErrUnexpectedEOF) || cut.Requests != 69 {
		t.Errorf("cut stream: %d requests, error %v", cut.Requests, err)
	}
	if _, err := Aggregate(bytes.NewReader([]byte("not gob at all")), opts); err == nil {
		t.Error("garbage aggregated without error")
	}
	if s, err := Aggregate(bytes.NewReader(nil), opts); err != nil || s.Requests != 0 {
		t.Errorf("empty stream: %+v, %v", s, err)
	}
}
