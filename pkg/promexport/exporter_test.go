package promexport

import (
	"context"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/promexport/promtest"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/sample"
)

var _ run.Observer = (*Observer)(nil)

// serve starts a Server on a free loopback port and returns it.
func serve(t *testing.T, e *Exporter) *Server {
	t.Helper()
	if err := CheckAddr("127.0.0.1:0", false); err != nil {
		t.Fatal(err)
	}
	s, err := Listen("127.0.0.1:0", e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func scrape(t *testing.T, s *Server) promtest.Families {
	t.Helper()
	f, err := promtest.Scrape(context.Background(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func want(t *testing.T, f promtest.Families, name string, labels map[string]string, v float64) {
	t.Helper()
	got, n := f.Sum(name, labels)
	if n == 0 {
		t.Errorf("%s%v: no series; families: %v", name, labels, keys(f))
		return
	}
	if got != v {
		t.Errorf("%s%v = %g, want %g", name, labels, got, v)
	}
}

func keys(f promtest.Families) []string {
	var out []string
	for k := range f {
		out = append(out, k)
	}
	return out
}

func TestObserverMetrics(t *testing.T) {
	e := New()
	s := serve(t, e)
	o := e.Observe("web")
	sc := map[string]string{"scenario": "web"}

	t0 := time.Now()
	inflight := metric.NewInFlight(t0)
	pacer := load.NewPhasePacer([]load.Phase{
		{Duration: time.Hour, From: vegeta.Rate{Freq: 10, Per: time.Second}, To: vegeta.Rate{Freq: 10, Per: time.Second}},
		{Duration: time.Hour, From: vegeta.Rate{Freq: 20, Per: time.Second}, To: vegeta.Rate{Freq: 20, Per: time.Second}},
	})
	o.LoadStarted(t0, pacer, inflight)
	inflight.Start(t0)
	inflight.Start(t0)
	for _, r := range []*vegeta.Result{
		{Attack: "get", Code: 200, Latency: 3 * time.Millisecond, Timestamp: t0},
		{Attack: "get", Code: 503, Latency: 40 * time.Millisecond, Timestamp: t0, Error: "503 Service Unavailable"},
		{Attack: "post", Code: 0, Latency: time.Second, Timestamp: t0, Error: `Post "http://x/": dial tcp: connection refused`},
	} {
		inflight.Start(t0)
		o.Result(r)
		inflight.Done(r)
	}
	o.Fault("rollingUpdate deployment/web", "rollingUpdate", true)
	o.Fault("podKill app=web", "podKill", true)
	o.Fault("podKill app=web", "podKill", false)
	o.Conntrack("node-1", sample.Point{Count: 50, Max: 100, Drops: 3})
	o.Conntrack("node-1", sample.Point{Count: 60, Max: 100, Drops: 2})
	o.Endpoints(sample.Endpoints{Service: "web", Ready: []string{"a", "b"}, Terminating: []string{"c"}, TerminatingServing: []string{"c"}})
	o.TargetHealth(elbv2.Sample{TargetGroup: "tg", Counts: map[string]int{"healthy": 2, "draining": 1}})
	o.TargetHealth(elbv2.Sample{TargetGroup: "tg", Counts: map[string]int{"healthy": 3}})

	f := scrape(t, s)
	want(t, f, "drill_requests_total", sc, 3)
	want(t, f, "drill_requests_total", map[string]string{"request": "get", "code": "503"}, 1)
	want(t, f, "drill_requests_total", map[string]string{"request": "post", "code": "0"}, 1)
	want(t, f, "drill_request_failures_total", sc, 2)
	want(t, f, "drill_request_failures_total", map[string]string{"request": "get", "code": "503", "class": metric.ClassHTTP}, 1)
	want(t, f, "drill_request_failures_total", map[string]string{"request": "post", "class": metric.ClassRefused}, 1)
	want(t, f, "drill_request_duration_seconds", map[string]string{"request": "get"}, 2)
	want(t, f, "drill_requests_in_flight", sc, 2)
	want(t, f, "drill_load_phase", sc, 1)
	want(t, f, "drill_load_target_requests_per_second", sc, 10)
	want(t, f, "drill_fault_active", map[string]string{"action": "rollingUpdate"}, 1)
	want(t, f, "drill_fault_active", map[string]string{"fault": "podKill app=web", "action": "podKill"}, 0)
	want(t, f, "drill_conntrack_entries", map[string]string{"node": "node-1"}, 60)
	want(t, f, "drill_conntrack_entries_limit", map[string]string{"node": "node-1"}, 100)
	want(t, f, "drill_conntrack_dropped_total", map[string]string{"node": "node-1"}, 5)
	want(t, f, "drill_endpoints", map[string]string{"service": "web", "state": "ready"}, 2)
	want(t, f, "drill_endpoints", map[string]string{"service": "web", "state": "terminating_serving"}, 1)
	want(t, f, "drill_endpoints", map[string]string{"service": "web", "state": "not_ready"}, 0)
	want(t, f, "drill_lb_targets", map[string]string{"target_group": "tg", "state": "healthy"}, 3)
	want(t, f, "drill_lb_targets", map[string]string{"target_group": "tg", "state": "draining"}, 0)

	h := f.Find("drill_request_duration_seconds", map[string]string{"request": "post"})
	if len(h) != 1 || h[0].GetHistogram().GetSampleSum() != 1 {
		t.Errorf("latency histogram of post: %v, want one series with sum 1s", h)
	}
	if b := h[0].GetHistogram().GetBucket(); len(b) != len(LatencyBuckets())+1 {
		t.Errorf("%d classic buckets, want %d and +Inf", len(b), len(LatencyBuckets()))
	}

	if !nativeHistogram(t, e, "drill_request_duration_seconds") {
		t.Error("drill_request_duration_seconds has no native histogram schema for scrapers that read them")
	}

	o.LoadEnded()
	f = scrape(t, s)
	want(t, f, "drill_load_phase", sc, 0)
	want(t, f, "drill_load_target_requests_per_second", sc, 0)
}

// nativeHistogram reports whether family name is gathered with native
// buckets (what a protobuf scrape gets).
func nativeHistogram(t *testing.T, e *Exporter, name string) bool {
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			h := mf.GetMetric()[0].GetHistogram()
			return h.Schema != nil && h.GetZeroThreshold() > 0
		}
	}
	return false
}

// A second run of the process is labelled with its own scenario, and the
// first one's counts stay.
func TestRunsAreLabelledByScenario(t *testing.T) {
	e := New()
	s := serve(t, e)
	e.Observe("a").Result(&vegeta.Result{Attack: "get", Code: 200})
	b := e.Observe("b")
	b.Result(&vegeta.Result{Attack: "get", Code: 200})
	b.Result(&vegeta.Result{Attack: "get", Code: 200})
	f := scrape(t, s)
	want(t, f, "drill_requests_total", map[string]string{"scenario": "a"}, 1)
	want(t, f, "drill_requests_total", map[string]string{"scenario": "b"}, 2)
}

func TestCheckAddr(t *testing.T) {
	for _, c := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:9464", false, true},
		{"127.0.0.2:0", false, true},
		{"[::1]:9464", false, true},
		{"localhost:9464", false, true},
		{":9464", false, false},
		{"0.0.0.0:9464", false, false},
		{"192.0.2.1:9464", false, false},
		{"metrics.example:9464", false, false},
		{":9464", true, true},
		{"0.0.0.0:9464", true, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1:http-nope", false, false},
	} {
		t.Run(c.addr, func(t *testing.T) {
			if err := CheckAddr(c.addr, c.remote); (err == nil) != c.ok {
				t.Errorf("CheckAddr(%q, %v) = %v; want ok %v", c.addr, c.remote, err, c.ok)
			}
		})
	}
}

func TestListenFailsOnABoundPort(t *testing.T) {
	s := serve(t, New())
	addr := s.ln.Addr().String()
	if _, err := Listen(addr, New()); err == nil {
		t.Fatalf("Listen(%s) succeeded on a port already bound", addr)
	}
}
