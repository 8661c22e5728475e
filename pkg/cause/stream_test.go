package cause

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// rollingRun streams n results at rate/s of a rolling update through
// Classify: web-a answers until 5 s, then the requests to it fail
// (refused until it is deleted at 6 s, then timeouts) until its target
// drains at 9.5 s; web-b answers the rest. It returns the results and the
// load balancer's failures.
func rollingRun(n, rate int) ([]vegeta.Result, []BalancerFailure) {
	var rs []vegeta.Result
	var lb []BalancerFailure
	step := time.Second / time.Duration(rate)
	for i := 0; i < n; i++ {
		at := time.Duration(i) * step
		r := vegeta.Result{Timestamp: t0.Add(at), Latency: 2 * time.Millisecond, Code: 200, Headers: map[string][]string{}}
		toA := i%2 == 0 && at < sec(9.5)
		switch {
		case toA && at >= sec(5):
			status, outcome := 502, OutcomeConnectRefused
			if at >= sec(6) {
				status, outcome, r.Latency = 504, OutcomeConnectTimeout, 10*time.Second
			}
			r.Code, r.Error = uint16(status), "bad gateway"
			lb = append(lb, BalancerFailure{Time: r.Timestamp.Add(time.Millisecond), Target: "198.18.1.10:8080", TargetState: StateHealthy, Status: status, Outcome: outcome})
		case toA:
			r.Headers["X-Drill-Backend"] = []string{"web-a"}
		default:
			r.Headers["X-Drill-Backend"] = []string{"web-b"}
		}
		rs = append(rs, r)
	}
	return rs, lb
}

func TestClassifierStreams(t *testing.T) {
	rs, lb := rollingRun(1000, 50)
	r := &report.Report{StartedAt: t0, Target: report.Target{Kind: report.TargetLab}, Events: rollingUpdate()}
	var buf bytes.Buffer
	enc := vegeta.NewEncoder(&buf)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			t.Fatal(err)
		}
	}
	c := New(InputOf(r, lb, true, "X-Drill-Backend"))
	s, err := metric.Aggregate(&buf, metric.Options{Start: t0, BackendHeader: "X-Drill-Backend"}, c.Add)
	if err != nil {
		t.Fatal(err)
	}
	r.Summary = report.SummaryOf(s)
	Apply(r, c)

	if r.Causes == nil || r.Causes.Failures != s.Requests-s.Successes || r.Causes.Failures == 0 {
		t.Fatalf("causes %+v, want every one of %d failures", r.Causes, s.Requests-s.Successes)
	}
	if len(r.Causes.Total) != 1 || r.Causes.Total[0].Cause != report.CauseDeregistrationLag || r.Causes.Known() != 1 {
		t.Errorf("total = %+v, want deregistration-lag only", r.Causes.Total)
	}
	if !strings.Contains(r.Causes.Total[0].Explanation, "set lifecycle.preStop sleep >= 6 s") {
		t.Errorf("explanation %q does not name the preStop sleep from the 4.5 s lag", r.Causes.Total[0].Explanation)
	}
	if len(r.Causes.Bursts) != len(r.Summary.Bursts) || len(r.Causes.Bursts) == 0 {
		t.Fatalf("burst causes %+v for bursts %+v", r.Causes.Bursts, r.Summary.Bursts)
	}
	var inBursts uint64
	for i, b := range r.Causes.Bursts {
		if b.Failures != r.Summary.Bursts[i].Failures {
			t.Errorf("burst %d: %d failures classified, the burst has %d", i, b.Failures, r.Summary.Bursts[i].Failures)
		}
		inBursts += b.Failures
	}
	if inBursts != r.Causes.Failures {
		t.Errorf("bursts hold %d failures of %d", inBursts, r.Causes.Failures)
	}

	want := map[string]time.Duration{
		report.TimingRegistrationLag:   sec(3),   // ready 4 s, healthy 7 s
		report.TimingDeregistrationLag: sec(4.5), // terminating 5 s, draining 9.5 s
		report.TimingShutdown:          sec(1),
	}
	got := map[string]report.Timing{}
	for _, tm := range r.Lifecycle.Timings {
		got[tm.Name] = tm
	}
	for name, d := range want {
		if got[name].Max != d || got[name].P50 != d || got[name].Count != 1 {
			t.Errorf("%s = %+v, want p50 = max = %s", name, got[name], d)
		}
	}
	// web-a served its last response at 4.96 s + 2 ms, before its deletion.
	if d := got[report.TimingServedAfterDeletion].Max; d > 0 || d < -sec(0.1) {
		t.Errorf("served_after_deletion = %s, want just under 0", d)
	}
	if v := r.Sampled["deregistration_lag_max"]; v != 4.5 {
		t.Errorf("deregistration_lag_max = %v, want 4.5", v)
	}
}

// TestValuesAreCheckMetrics: every metric Values gives is in the check
// catalog, so that scenarios can assert it.
func TestValuesAreCheckMetrics(t *testing.T) {
	lc := &report.Lifecycle{}
	for _, name := range report.TimingNames() {
		lc.Timings = append(lc.Timings, report.Timing{Name: name, Count: 1, P50: time.Second, Max: 2 * time.Second})
	}
	vals := Values(lc)
	if len(vals) != 2*len(report.TimingNames()) {
		t.Fatalf("values %v", vals)
	}
	for name, v := range vals {
		m, ok := check.Lookup(name)
		if !ok || m.Kind != check.Duration {
			t.Errorf("%s is not a duration metric of the check catalog", name)
		}
		if strings.HasSuffix(name, SuffixMax) && v != 2 {
			t.Errorf("%s = %v, want 2 (seconds)", name, v)
		}
	}
}

func TestBalancerFileRoundTrip(t *testing.T) {
	_, lb := rollingRun(1000, 50)
	path := filepath.Join(t.TempDir(), BalancerFile)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteBalancer(f, lb); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadBalancer(f)
	if err != nil || len(got) != len(lb) || !got[3].Time.Equal(lb[3].Time) || got[3] != (BalancerFailure{Time: got[3].Time, Target: lb[3].Target, TargetState: lb[3].TargetState, Status: lb[3].Status, Outcome: lb[3].Outcome}) {
		t.Fatalf("read %d records (%v), want %d like %+v", len(got), err, len(lb), lb[3])
	}
}

// BenchmarkExplain1M is drill report --from-results over 1,000,000
// stored results: one pass that aggregates them and classifies the failed
// ones (22.5% of them) against a rolling update's timeline and the load
// balancer's 225,000 records of them.
func BenchmarkExplain1M(b *testing.B) {
	const n = 1_000_000
	rs, lb := rollingRun(n, n/10) // 10 s at 100,000/s: the update's failures
	path := filepath.Join(b.TempDir(), "results.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	enc := vegeta.NewEncoder(f)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	rs = nil
	r := &report.Report{StartedAt: t0, Target: report.Target{Kind: report.TargetLab}, Events: rollingUpdate()}
	b.ResetTimer()
	cpu0 := cpuTime()
	var failures uint64
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		c := New(InputOf(r, lb, true, "X-Drill-Backend"))
		s, err := metric.Aggregate(f, metric.Options{Start: t0, BackendHeader: "X-Drill-Backend"}, c.Add)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		r.Summary = report.SummaryOf(s)
		Apply(r, c)
		failures = r.Causes.Failures
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if failures != uint64(len(lb)) || r.Causes.Known() != 1 {
		b.Fatalf("classified %d failures (%.3f known), want %d, all known", failures, r.Causes.Known(), len(lb))
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1M-results")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/1M-results")
}

// cpuTime is the user and system CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
