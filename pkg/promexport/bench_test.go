package promexport

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
)

// BenchmarkMaxRateLiveMetrics measures what serving live metrics costs the
// load: load.Run at maximum rate (32 workers) against a loopback server,
// every result recorded as a run records it (metric.Recorder), and handed
// to an Observer while a scraper reads /metrics every 100 ms (150 times
// Prometheus's default 15 s), against the same load without the Observer
// and the scraper. Each op runs four rounds of half a second per
// variant, alternating which goes first, so that both see the same machine.
func BenchmarkMaxRateLiveMetrics(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Backend", "bench")
		io.WriteString(w, "ok")
	}))
	b.Cleanup(srv.Close)
	const rounds, d = 4, 500 * time.Millisecond
	maxRate := func(observe func(*vegeta.Result)) int {
		cfg := load.Config{Phases: []load.Phase{{Duration: d}}, Workers: 32, MaxWorkers: 32, KeepAlive: true,
			Requests: []load.Request{{URL: srv.URL}}}
		rec := metric.New(metric.Options{BackendHeader: "X-Backend"})
		n := 0
		if err := load.Run(context.Background(), cfg, func(r *vegeta.Result) { n++; rec.Add(r); observe(r) }); err != nil {
			b.Fatal(err)
		}
		return n
	}
	withMetrics := func() int {
		e := New()
		o := e.Observe("bench")
		o.LoadStarted(time.Now(), nil, &metric.InFlight{})
		metrics := httptest.NewServer(e.Handler())
		defer metrics.Close()
		ctx, cancel := context.WithCancel(context.Background())
		scraped := make(chan struct{})
		go func() {
			defer close(scraped)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if resp, err := http.Get(metrics.URL); err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
			}
		}()
		n := maxRate(o.Result)
		cancel()
		<-scraped
		o.LoadEnded()
		return n
	}
	var plain, live int
	var plainCPU, liveCPU time.Duration
	plainRound := func() {
		c := cpuTime()
		plain += maxRate(func(*vegeta.Result) {})
		plainCPU += cpuTime() - c
	}
	liveRound := func() {
		c := cpuTime()
		live += withMetrics()
		liveCPU += cpuTime() - c
	}
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			if r%2 == 0 {
				plainRound()
				liveRound()
			} else {
				liveRound()
				plainRound()
			}
		}
	}
	secs := (time.Duration(b.N*rounds) * d).Seconds()
	b.ReportMetric(float64(plain)/secs, "plain-req/s")
	b.ReportMetric(float64(live)/secs, "live-metrics-req/s")
	b.ReportMetric(100*float64(live)/float64(plain), "live-%-of-plain")
	b.ReportMetric(float64(plainCPU.Microseconds())/float64(plain), "plain-cpu-µs/req")
	b.ReportMetric(float64(liveCPU.Microseconds())/float64(live), "live-cpu-µs/req")
}

// cpuTime is the user and system CPU time the process used so far (the
// load, the server and the scraper together).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
