package load

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/metric"
)

// benchServer is the loopback server every load benchmark hits: a tiny
// response with a backend header, like the echo workload.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Backend", "bench")
		io.WriteString(w, "ok")
	}))
	b.Cleanup(s.Close)
	return s
}

// benchWorkers bounds concurrency at maximum rate, for both engines.
const benchWorkers = 32

// vegetaMax attacks url with the plain vegeta library at maximum rate for d
// and returns the number of results.
func vegetaMax(url string, d time.Duration) int {
	atk := vegeta.NewAttacker(vegeta.Workers(benchWorkers), vegeta.MaxWorkers(benchWorkers), vegeta.KeepAlive(true))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url})
	n := 0
	for range atk.Attack(tr, vegeta.ConstantPacer{}, d, "vegeta") {
		n++
	}
	return n
}

// drillMax attacks url with Run at maximum rate for d, handling every
// result the way a drill run does (into a metric.Recorder and, through a
// ResultsWriter flushed every 250 ms, into a results file in dir, with a
// provisional report of the Recorder's summary written halfway), and
// returns the number of results.
func drillMax(b *testing.B, url, dir string, d time.Duration) int {
	cfg := Config{
		Phases:     []Phase{{Duration: d}},
		Workers:    benchWorkers,
		MaxWorkers: benchWorkers,
		KeepAlive:  true,
		Requests:   []Request{{URL: url}},
		MaxBody:    DefaultMaxBody,
	}
	f, err := os.Create(filepath.Join(dir, "results.bin"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := NewResultsWriter(f)
	rec := metric.New(metric.Options{BackendHeader: "X-Backend"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		flush, checkpoint := time.NewTicker(250*time.Millisecond), time.After(d/2)
		defer flush.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-flush.C:
				if err := w.Flush(); err != nil {
					b.Error(err)
				}
			case <-checkpoint:
				data, err := json.Marshal(rec.Summary())
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, "report.json"), data, 0o644)
				}
				if err != nil {
					b.Error(err)
				}
			}
		}
	}()
	n := 0
	err = Run(ctx, cfg, func(r *vegeta.Result) {
		n++
		rec.Add(r)
		if err := w.Write(r); err != nil {
			b.Error(err)
		}
	})
	cancel()
	<-done
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkMaxRate compares Run, with every result recorded and written to
// disk as a run does (drillMax), with the plain vegeta library, which only
// counts its results, at maximum rate (32 workers each) against the same
// loopback server. Each op runs four
// rounds of half a second per engine, alternating which goes first, so that
// both see the same machine. Besides requests per second it reports the CPU
// time (user+system, client and server together) per request, which a busy
// shared machine disturbs less than throughput.
func BenchmarkMaxRate(b *testing.B) {
	s := benchServer(b)
	const rounds, d = 4, 500 * time.Millisecond
	var nv, nd int
	var cv, cd time.Duration
	vegetaRound := func() {
		c := cpuTime()
		nv += vegetaMax(s.URL, d)
		cv += cpuTime() - c
	}
	drillRound := func() {
		c := cpuTime()
		nd += drillMax(b, s.URL, b.TempDir(), d)
		cd += cpuTime() - c
	}
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			if r%2 == 0 {
				vegetaRound()
				drillRound()
			} else {
				drillRound()
				vegetaRound()
			}
		}
	}
	secs := (time.Duration(b.N*rounds) * d).Seconds()
	b.ReportMetric(float64(nv)/secs, "vegeta-req/s")
	b.ReportMetric(float64(nd)/secs, "drill-req/s")
	b.ReportMetric(100*float64(nd)/float64(nv), "drill-%-of-vegeta")
	b.ReportMetric(float64(cv.Microseconds())/float64(nv), "vegeta-cpu-µs/req")
	b.ReportMetric(float64(cd.Microseconds())/float64(nd), "drill-cpu-µs/req")
}

// cpuTime is the user and system CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRate5000 runs Run at 5,000 requests per second for three seconds
// per op and reports the achieved rate, (n-1) over the span of request start
// times, and the count against what the pacer schedules. For reference, each
// op also runs plain vegeta's constant pacer at the same rate and duration.
func BenchmarkRate5000(b *testing.B) {
	s := benchServer(b)
	const rate, d = 5000, 3 * time.Second
	cfg := Config{
		Phases:    []Phase{{Duration: d, From: vegeta.Rate{Freq: rate, Per: time.Second}, To: vegeta.Rate{Freq: rate, Per: time.Second}}},
		KeepAlive: true,
		Requests:  []Request{{URL: s.URL}},
	}
	want := NewPhasePacer(cfg.Phases).Total()
	var sumRate, sumCount, sumVegeta float64
	var failed int
	for i := 0; i < b.N; i++ {
		var span spanOf
		err := Run(context.Background(), cfg, func(r *vegeta.Result) {
			span.add(r)
			if r.Code != 200 {
				failed++
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		sumRate += span.rate()
		sumCount += float64(span.n) / float64(want)

		var vspan spanOf
		atk := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.MaxWorkers(DefaultMaxWorkers))
		tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: s.URL})
		for r := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, "vegeta") {
			vspan.add(r)
		}
		sumVegeta += vspan.rate()
	}
	achieved := sumRate / float64(b.N)
	b.ReportMetric(achieved, "achieved-req/s")
	b.ReportMetric(100*(achieved-rate)/rate, "rate-error-%")
	b.ReportMetric(100*sumCount/float64(b.N), "sent-%-of-scheduled")
	b.ReportMetric(float64(failed), "failed")
	b.ReportMetric(sumVegeta/float64(b.N), "vegeta-achieved-req/s")
}

// spanOf measures the achieved rate of a stream of results.
type spanOf struct {
	n           int
	first, last time.Time
}

func (s *spanOf) add(r *vegeta.Result) {
	if s.n == 0 || r.Timestamp.Before(s.first) {
		s.first = r.Timestamp
	}
	if r.Timestamp.After(s.last) {
		s.last = r.Timestamp
	}
	s.n++
}

// rate is (n-1) over the span of start times: n requests evenly spaced at
// rate r span (n-1)/r.
func (s *spanOf) rate() float64 {
	if s.n < 2 {
		return 0
	}
	return float64(s.n-1) / s.last.Sub(s.first).Seconds()
}
