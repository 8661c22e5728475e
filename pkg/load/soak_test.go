package load

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/metric"
)

// TestSoak runs a long load at 2,000/s through Run, a metric.Recorder (with
// the live per-second view) and a ResultsWriter, the way a drill run does,
// and samples the process's peak and current resident memory. It runs only
// when DRILL_SOAK is set to a duration (e.g. DRILL_SOAK=10m); the loopback
// server lives in the same process, so the numbers are an upper bound.
//
//	DRILL_SOAK=10m go test -run TestSoak -v -timeout 0 ./pkg/load
func TestSoak(t *testing.T) {
	env := os.Getenv("DRILL_SOAK")
	if env == "" {
		t.Skip("set DRILL_SOAK to a duration to run the soak test")
	}
	d, err := time.ParseDuration(env)
	if err != nil {
		t.Fatalf("DRILL_SOAK=%q: %v", env, err)
	}
	rate := 2000
	if v := os.Getenv("DRILL_SOAK_RATE"); v != "" {
		if rate, err = strconv.Atoi(v); err != nil {
			t.Fatalf("DRILL_SOAK_RATE=%q: %v", v, err)
		}
	}
	s := newServer(t, nil)
	f, err := os.Create(filepath.Join(t.TempDir(), "results.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewResultsWriter(f)
	start := time.Now()
	rec := metric.New(metric.Options{Start: start, BackendHeader: "X-Backend"})
	cfg := Config{
		Phases:    constant(rate, d),
		KeepAlive: true,
		Requests:  []Request{{URL: s.URL + "/soak"}},
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	samples := make(chan [2]int64, 1)
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		var last [2]int64
		for {
			select {
			case <-ctx.Done():
				samples <- last
				return
			case <-tick.C:
				hwm, rss := memKiB(t)
				last = [2]int64{hwm, rss}
				t.Logf("t=%4ds VmHWM %6.1f MiB VmRSS %6.1f MiB", int(time.Since(start).Seconds()), float64(hwm)/1024, float64(rss)/1024)
			}
		}
	}()
	live := 0
	var liveOK float64
	next := time.Now().Add(time.Second)
	err = Run(context.Background(), cfg, func(r *vegeta.Result) {
		rec.Add(r)
		if err := w.Write(r); err != nil {
			t.Error(err)
		}
		if now := time.Now(); now.After(next) {
			next = now.Add(time.Second)
			for _, sec := range rec.Seconds(now.Add(-2 * time.Second)) {
				live++
				liveOK, _ = sec.Value("success_rate")
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sum := rec.Summary()
	cancel()
	<-samples
	hwm, rss := memKiB(t)
	st, _ := f.Stat()
	t.Logf("done: %d requests in %s, rate %.1f/s, success %.4f, p99 %s; %d live seconds (last success rate %.3f); results file %.1f MiB",
		sum.Requests, d, sum.Rate, float64(sum.Successes)/float64(sum.Requests), sum.Latency.P99, live, liveOK, float64(st.Size())/(1<<20))
	t.Logf("final VmHWM %.1f MiB VmRSS %.1f MiB", float64(hwm)/1024, float64(rss)/1024)
	if hwm > 150*1024 {
		t.Errorf("peak RSS %.1f MiB, goal under 150 MiB", float64(hwm)/1024)
	}
	if sum.Requests < uint64(float64(NewPhasePacer(cfg.Phases).Total())*0.9) {
		t.Errorf("only %d requests", sum.Requests)
	}
}

// memKiB reads VmHWM and VmRSS of the process from /proc/self/status.
func memKiB(t *testing.T) (hwm, rss int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Error(err)
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			hwm = n
		case "VmRSS":
			rss = n
		}
	}
	return hwm, rss
}
