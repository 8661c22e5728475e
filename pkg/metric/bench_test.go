package metric

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// benchResults returns n results like a run at 5,000/s produces: mostly 200s
// with a response header set, a few 503s and refused connections, latencies
// from 100µs to a few ms.
func benchResults(n int) []vegeta.Result {
	rs := make([]vegeta.Result, n)
	backends := []string{"web-7d9f-a", "web-7d9f-b", "web-7d9f-c"}
	for i := range rs {
		r := vegeta.Result{
			Attack:    "GET http://127.0.0.1:8080/",
			Seq:       uint64(i),
			Code:      200,
			Timestamp: t0.Add(time.Duration(i) * 200 * time.Microsecond),
			Latency:   time.Duration(100_000 + (i*7919)%3_000_000),
			BytesIn:   2,
			Body:      []byte("ok"),
			Method:    "GET",
			URL:       "http://127.0.0.1:8080/",
			Headers: http.Header{
				"Content-Length": {"2"},
				"Content-Type":   {"text/plain; charset=utf-8"},
				"Date":           {"Wed, 25 Nov 2026 23:30:00 GMT"},
				"X-Backend":      {backends[i%3]},
			},
		}
		switch {
		case i%500 == 0:
			r.Code, r.Error, r.Headers, r.Body, r.BytesIn = 0, `Get "http://127.0.0.1:8080/": dial tcp 127.0.0.1:8080: connect: connection refused`, nil, nil, 0
		case i%200 == 0:
			r.Code, r.Error = 503, "503 Service Unavailable"
		}
		rs[i] = r
	}
	return rs
}

// BenchmarkRecorderAdd measures Recorder.Add per result; each op adds
// 100,000 results (20 s of a 5,000/s run) and takes the Summary. Results
// cycle through a ring of 1,024, hot in cache like a result that just
// arrived from the network.
func BenchmarkRecorderAdd(b *testing.B) {
	const perOp, ring = 100_000, 1024
	rs := benchResults(ring)
	var before, after runtime.MemStats
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		rec := New(Options{Start: t0, BackendHeader: "X-Backend"})
		for j := 0; j < perOp; j++ {
			r := &rs[j%ring]
			r.Timestamp = t0.Add(time.Duration(j) * 200 * time.Microsecond)
			rec.Add(r)
		}
		_ = rec.Summary()
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	runtime.ReadMemStats(&after)
	n := float64(b.N) * perOp
	b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/result")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/result")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/result")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/result")
}

// BenchmarkAggregate1M re-aggregates a results file of 1,000,000 results
// written with vegeta's encoder in the benchmark's temp dir.
func BenchmarkAggregate1M(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "results.bin")
	writeResults(b, path, n)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	var s Summary
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s, err = Aggregate(f, Options{BackendHeader: "X-Backend"})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if s.Requests != n {
		b.Fatalf("aggregated %d results, want %d", s.Requests, n)
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1M-results")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/1M-results")
}

// cpuTime is the user and system CPU time the process used so far: on a
// shared machine it tells work done from time waited.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func writeResults(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := vegeta.NewEncoder(w)
	const batch = 100_000
	rs := benchResults(batch)
	for i := 0; i < n; i++ {
		r := rs[i%batch]
		r.Seq = uint64(i)
		r.Timestamp = t0.Add(time.Duration(i) * 200 * time.Microsecond)
		if err := enc.Encode(&r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}

// BenchmarkInFlight is the cost per request of following it in flight: one
// Start when it is sent and one Done when its result arrives, from
// concurrent workers.
func BenchmarkInFlight(b *testing.B) {
	rs := benchResults(4096)
	f := NewInFlight(t0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := &rs[i%len(rs)]
			f.Start(r.Timestamp)
			f.Done(r)
			i++
		}
	})
}
