package metric

import (
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestInFlightBySecond(t *testing.T) {
	f := NewInFlight(t0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// Second 0: three sent, one answered, one failed without a response
	// (a timeout), one still in flight. Second 1: two sent, none answered.
	for _, ms := range []int{100, 200, 300, 1100, 1900} {
		f.Start(at(ms))
	}
	f.Done(&vegeta.Result{Timestamp: at(100), Latency: 50 * time.Millisecond, Code: 200})
	f.Done(&vegeta.Result{Timestamp: at(200), Latency: 900 * time.Millisecond, Error: "timeout"})
	if got := [3]uint64{f.Pending(0), f.Pending(1), f.Pending(2)}; got != [3]uint64{1, 2, 0} {
		t.Errorf("pending by second %v, want [1 2 0]", got)
	}
	st := f.State()
	if st.Sent != 5 || st.InFlight != 3 {
		t.Errorf("state %+v, want 5 sent and 3 in flight", st)
	}
	// Only a response (a status code) counts as the last response; the
	// timeout that ended later does not.
	if want := at(150); !st.LastResponse.Equal(want) {
		t.Errorf("last response %s, want %s", st.LastResponse.Sub(t0), want.Sub(t0))
	}
}

// A request whose result Timestamp falls just before a second's boundary
// may be counted by Start in the next second: Done takes it from there,
// and no second goes negative or keeps a phantom request.
func TestInFlightBoundary(t *testing.T) {
	f := NewInFlight(t0)
	ts := t0.Add(time.Second - time.Nanosecond)
	f.Start(t0.Add(time.Second)) // the hook ran a nanosecond later
	f.Done(&vegeta.Result{Timestamp: ts, Code: 200})
	if f.Pending(0) != 0 || f.Pending(1) != 0 || f.State().InFlight != 0 {
		t.Errorf("pending %d/%d, in flight %d after the only request completed", f.Pending(0), f.Pending(1), f.State().InFlight)
	}
	if f.Pending(-1) != 0 || f.Pending(1<<30) != 0 {
		t.Error("seconds outside the timeline have requests pending")
	}
}

func TestLiveCountsUnansweredAsFailed(t *testing.T) {
	l := Live{Second: Second{T: 3, Requests: 2, Successes: 2, P99: time.Millisecond}, NoResponse: 6, NotSent: 12}
	for name, want := range map[string]float64{
		"requests": 20, "errors": 18, "successes": 2, "error_rate": 0.9, "success_rate": 0.1,
		"rate": 8, "p99": 0.001,
	} {
		if v, ok := l.Value(name); !ok || v != want {
			t.Errorf("%s = %v (ok %v), want %v", name, v, ok, want)
		}
	}
	// A second whose only requests got no response has data: 100% errors.
	if v, ok := (Live{NoResponse: 4}).Value("error_rate"); !ok || v != 1 {
		t.Errorf("error_rate of a second without responses = %v (ok %v), want 1", v, ok)
	}
	if _, ok := (Live{NoResponse: 4}).Value("p99"); ok {
		t.Error("p99 of a second without completed requests has data")
	}
}
