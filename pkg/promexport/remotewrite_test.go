package promexport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"github.com/prometheus/prometheus/prompb"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/testenv"
)

// receiver is a Remote-Write 1.0 endpoint on loopback that decodes what
// it gets, and answers with status while it is not 0.
type receiver struct {
	*httptest.Server
	status atomic.Int32

	mu       sync.Mutex
	requests []*prompb.WriteRequest
	problems []string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := rc.status.Load(); s != 0 {
			http.Error(w, "refused by the test", int(s))
			return
		}
		req, problem := decodeWrite(r)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if problem != "" {
			rc.problems = append(rc.problems, problem)
			http.Error(w, problem, http.StatusBadRequest)
			return
		}
		rc.requests = append(rc.requests, req)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func decodeWrite(r *http.Request) (*prompb.WriteRequest, string) {
	for h, want := range map[string]string{
		"Content-Encoding":                  "snappy",
		"Content-Type":                      "application/x-protobuf",
		"X-Prometheus-Remote-Write-Version": "0.1.0",
	} {
		if got := r.Header.Get(h); got != want {
			return nil, fmt.Sprintf("header %s: %q, want %q", h, got, want)
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/write" {
		return nil, fmt.Sprintf("%s %s, want POST /api/v1/write", r.Method, r.URL.Path)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err.Error()
	}
	raw, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, "snappy: " + err.Error()
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(raw); err != nil {
		return nil, "protobuf: " + err.Error()
	}
	return &req, ""
}

// got returns the requests received, failing on any malformed one.
func (rc *receiver) got(t *testing.T) []*prompb.WriteRequest {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, p := range rc.problems {
		t.Errorf("receiver: %s", p)
	}
	return append([]*prompb.WriteRequest(nil), rc.requests...)
}

// requestsTotal sums drill_requests_total in req.
func requestsTotal(req *prompb.WriteRequest) (float64, int64) {
	var sum float64
	var ts int64
	for _, s := range req.Timeseries {
		for _, l := range s.Labels {
			if l.Name == "__name__" && l.Value == "drill_requests_total" {
				sum += s.Samples[0].Value
				ts = s.Samples[0].Timestamp
			}
		}
	}
	return sum, ts
}

func TestPusherPushesTheRegistry(t *testing.T) {
	rc := newReceiver(t)
	url := rc.URL + "/api/v1/write"
	if err := CheckRemoteWriteURL(context.Background(), url, false); err != nil {
		t.Fatal(err)
	}
	e := New()
	o := e.Observe("web")
	var warn strings.Builder
	p, err := NewPusher(e.Gatherer(), url, time.Hour, false, &warn)
	if err != nil {
		t.Fatal(err)
	}
	o.Result(&vegeta.Result{Attack: "get", Code: 200})
	if err := p.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.Result(&vegeta.Result{Attack: "get", Code: 200})
	o.Result(&vegeta.Result{Attack: "get", Code: 503})
	if err := p.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rc.got(t)
	if len(reqs) != 2 {
		t.Fatalf("%d requests received, want 2", len(reqs))
	}
	n1, ts1 := requestsTotal(reqs[0])
	n2, ts2 := requestsTotal(reqs[1])
	if n1 != 1 || n2 != 3 {
		t.Errorf("drill_requests_total pushed as %g then %g, want 1 then 3", n1, n2)
	}
	if ts2 <= ts1 {
		t.Errorf("second push at %d, not after the first at %d", ts2, ts1)
	}
	if s := p.Stats(); s.Pushes != 2 || s.Failures != 0 {
		t.Errorf("stats %+v, want 2 pushes and no failure", s)
	}
	if warn.Len() != 0 {
		t.Errorf("warnings without a failure: %s", warn.String())
	}
}

// Failures are counted, one line warns of each streak of them, and the
// pushes go on.
func TestPusherCountsFailureStreaks(t *testing.T) {
	rc := newReceiver(t)
	e := New()
	e.Observe("web").Result(&vegeta.Result{Attack: "get", Code: 200})
	var warn strings.Builder
	p, err := NewPusher(e.Gatherer(), rc.URL+"/api/v1/write", time.Second, false, &warn)
	if err != nil {
		t.Fatal(err)
	}
	push := func(wantErr bool) {
		t.Helper()
		if err := p.Push(context.Background()); (err != nil) != wantErr {
			t.Fatalf("push: %v, want an error %v", err, wantErr)
		}
	}
	rc.status.Store(http.StatusBadRequest) // not retried
	push(true)
	push(true)
	rc.status.Store(0)
	push(false)
	rc.status.Store(http.StatusServiceUnavailable) // retried, then given up within the timeout
	push(true)
	rc.status.Store(0)
	push(false)
	s := p.Stats()
	if s.Pushes != 5 || s.Failures != 3 || !strings.Contains(s.LastError, "503") {
		t.Errorf("stats %+v, want 5 pushes, 3 failures, the latest a 503", s)
	}
	lines := strings.Split(strings.TrimSpace(warn.String()), "\n")
	warnings := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "drill: warning: remote write to ") {
			warnings++
		}
	}
	if warnings != 2 || len(lines) != 4 || !strings.Contains(lines[1], "works again after 2 failed pushes") {
		t.Errorf("want two warnings, one per streak, each followed by its recovery; got:\n%s", warn.String())
	}
	if n := len(rc.got(t)); n != 2 {
		t.Errorf("receiver accepted %d pushes, want 2", n)
	}
}

func TestPusherPushesEveryIntervalUntilClosed(t *testing.T) {
	rc := newReceiver(t)
	e := New()
	e.Observe("web").Result(&vegeta.Result{Attack: "get", Code: 200})
	p, err := NewPusher(e.Gatherer(), rc.URL+"/api/v1/write", 20*time.Millisecond, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	testenv.Eventually(t, 10*time.Second, 10*time.Millisecond, "three pushes", func() (bool, string) {
		n := len(rc.got(t))
		return n >= 3, fmt.Sprintf("%d pushes", n)
	})
	p.Close()
	after := len(rc.got(t))
	if err := p.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.got(t)); n != after+1 {
		t.Errorf("%d pushes after Close and one Push, want %d: the loop went on", n, after+1)
	}
}

// Without allowRemote, a destination outside loopback and the lab range
// is refused at the dial: nothing is sent.
func TestPusherDialsOnlyAllowedDestinations(t *testing.T) {
	e := New()
	e.Observe("web").Result(&vegeta.Result{Attack: "get", Code: 200})
	p, err := NewPusher(e.Gatherer(), "http://192.0.2.1:9/api/v1/write", 300*time.Millisecond, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Push(context.Background())
	if err == nil || !strings.Contains(err.Error(), "neither loopback nor in the lab range") {
		t.Errorf("push to 192.0.2.1: %v, want the guard's refusal", err)
	}
}

func TestCheckRemoteWriteURL(t *testing.T) {
	for _, c := range []struct {
		url    string
		remote bool
		ok     bool
	}{
		{"http://127.0.0.1:9090/api/v1/write", false, true},
		{"https://[::1]:9090/api/v1/write", false, true},
		{"http://localhost:9090/api/v1/write", false, true},
		{"http://198.19.0.7:9090/api/v1/write", false, true},
		{"http://192.0.2.1:9090/api/v1/write", false, false},
		{"http://192.0.2.1:9090/api/v1/write", true, true},
		{"ftp://127.0.0.1/x", false, false},
		{"127.0.0.1:9090/api/v1/write", false, false},
		{"http:///api/v1/write", false, false},
		{"http://%zz", false, false},
		{"", false, false},
	} {
		t.Run(c.url, func(t *testing.T) {
			if err := CheckRemoteWriteURL(context.Background(), c.url, c.remote); (err == nil) != c.ok {
				t.Errorf("CheckRemoteWriteURL(%q, %v) = %v; want ok %v", c.url, c.remote, err, c.ok)
			}
		})
	}
}

// Close abandons a periodic push under way instead of waiting for it, and
// an abandoned push is no failure of the endpoint's.
func TestCloseAbandonsAPushUnderWay(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	e := New()
	e.Observe("web").Result(&vegeta.Result{Attack: "get", Code: 200})
	var warn strings.Builder
	p, err := NewPusher(e.Gatherer(), srv.URL+"/api/v1/write", time.Second, false, &warn)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	<-arrived
	p.Close()
	if s := p.Stats(); s.Pushes != 0 || s.Failures != 0 || warn.Len() != 0 {
		t.Errorf("stats %+v, warnings %q: want the abandoned push not counted", s, warn.String())
	}
}
