package metric

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestSummaryErrorSet(t *testing.T) {
	results, _ := fixture()
	rec := New(Options{Start: t0})
	for _, r := range results {
		rec.Add(r)
	}
	want := []ErrorCount{
		{Message: `Get "http://x/": dial tcp 127.0.0.1:9: connect: connection refused`, Count: 3},
		{Message: "503 Service Unavailable", Count: 2},
		{Message: `Get "http://x/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, Count: 2},
		{Message: `Get "http://x/": EOF`, Count: 1},
		{Message: `Get "http://x/": read: connection reset by peer`, Count: 1},
	}
	if got := rec.Summary().ErrorSet; !reflect.DeepEqual(got, want) {
		t.Errorf("error set:\n got %+v\nwant %+v", got, want)
	}
}

// However many distinct messages a run produces, the error set keeps
// MaxErrorMessages of them and counts the rest together: every failure is
// still counted once.
func TestErrorSetIsBounded(t *testing.T) {
	rec := New(Options{Start: t0})
	const n = 3 * MaxErrorMessages
	long := string(make([]byte, 2*MaxErrorMessageLen))
	for i := range n {
		rec.Add(&vegeta.Result{Timestamp: t0, Error: fmt.Sprintf("dial tcp 127.0.0.1:%d: connection refused%s", 10000+i, long)})
	}
	set := rec.Summary().ErrorSet
	if len(set) != MaxErrorMessages+1 || set[len(set)-1].Message != OtherErrors {
		t.Fatalf("%d messages, last %q: want %d and %q last", len(set), set[len(set)-1].Message, MaxErrorMessages+1, OtherErrors)
	}
	var total uint64
	for _, e := range set {
		total += e.Count
		if len(e.Message) > MaxErrorMessageLen {
			t.Fatalf("message of %d bytes kept, want at most %d", len(e.Message), MaxErrorMessageLen)
		}
	}
	if total != n || set[len(set)-1].Count != n-MaxErrorMessages {
		t.Errorf("counts add up to %d (other %d), want %d (%d)", total, set[len(set)-1].Count, n, n-MaxErrorMessages)
	}
}

func TestSummaryByName(t *testing.T) {
	single := New(Options{Start: t0})
	single.Add(&vegeta.Result{Timestamp: t0, Attack: "home", Code: 200, Latency: time.Millisecond})
	if got := single.Summary().ByName; len(got) != 1 || got[0].Name != "home" || got[0].Requests != 1 || got[0].Successes != 1 {
		t.Errorf("one name: %+v", got)
	}

	rec := New(Options{Start: t0})
	for i := range 100 {
		r := &vegeta.Result{Timestamp: t0, Attack: "home", Code: 200, Latency: time.Duration(i+1) * time.Millisecond}
		if i%10 == 9 { // the first cart comes after nine homes
			r.Attack, r.Code, r.Latency = "cart", 502, time.Second
		}
		rec.Add(r)
	}
	got := rec.Summary().ByName
	if len(got) != 2 || got[0].Name != "cart" || got[1].Name != "home" || got[1].P50 > 55*time.Millisecond {
		t.Fatalf("by name = %+v, want cart and home", got)
	}
	if c := got[0]; c.Requests != 10 || c.Successes != 0 || c.P50 < 990*time.Millisecond || c.P99 > 1010*time.Millisecond {
		t.Errorf("cart = %+v, want 10 requests, none succeeded, p50 and p99 about 1s", c)
	}
	if h := got[1]; h.Requests != 90 || h.Successes != 90 || h.P99 < 95*time.Millisecond || h.P99 > 101*time.Millisecond {
		t.Errorf("home = %+v, want 90 requests, all succeeded, p99 about 100ms", h)
	}
}

func TestByNameIsBounded(t *testing.T) {
	rec := New(Options{Start: t0})
	for i := range 2 * MaxRequestNames {
		rec.Add(&vegeta.Result{Timestamp: t0, Attack: fmt.Sprint("r", i), Code: 200})
	}
	got := rec.Summary().ByName
	if len(got) != MaxRequestNames+1 || got[len(got)-1].Name != OtherRequests || got[len(got)-1].Requests != MaxRequestNames {
		t.Errorf("%d names, last %+v: want %d names and %q with the %d others", len(got), got[len(got)-1], MaxRequestNames+1, OtherRequests, MaxRequestNames)
	}
}
