package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
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
// when DRILL_SOAK is set to a duration (e.g. DRILL_SOAK=10m). The loopback
// server runs in a child process (TestSoakServer) so that the numbers are
// those of the load side alone.
//
//	DRILL_SOAK=10m go test -count=1 -run 'TestSoak$' -v -timeout 0 ./pkg/load
//
// (-count=1: go test caches results, environment included). DRILL_SOAK_RATE
// changes the rate from 2,000/s.
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
	url, serverPID := startSoakServer(t)
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
		Requests:  []Request{{URL: url + "/soak"}},
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
				hwm, rss := memKiB(t, "self")
				_, srss := memKiB(t, strconv.Itoa(serverPID))
				last = [2]int64{hwm, rss}
				t.Logf("t=%4ds VmHWM %6.1f MiB VmRSS %6.1f MiB (server VmRSS %6.1f MiB)", int(time.Since(start).Seconds()), float64(hwm)/1024, float64(rss)/1024, float64(srss)/1024)
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
	hwm, rss := memKiB(t, "self")
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

// memKiB reads VmHWM and VmRSS of a process ("self" or a pid) from /proc.
func memKiB(t *testing.T, pid string) (hwm, rss int64) {
	f, err := os.Open("/proc/" + pid + "/status")
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

// startSoakServer runs TestSoakServer in a child process and returns its URL
// and process id; the child stops when the test ends.
func startSoakServer(t *testing.T) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSoakServer$", "-test.v")
	cmd.Env = append(os.Environ(), "DRILL_SOAK_SERVE=1", "DRILL_SOAK=")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			go io.Copy(io.Discard, stdout)
			return url, cmd.Process.Pid
		}
	}
	t.Fatalf("soak server did not start: %v", sc.Err())
	return "", 0
}

// TestSoakServer is the loopback server of TestSoak, run in a child process:
// it prints its URL and serves until its standard input closes.
func TestSoakServer(t *testing.T) {
	if os.Getenv("DRILL_SOAK_SERVE") != "1" {
		t.Skip("runs as TestSoak's server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Backend", "soak")
		io.WriteString(w, "ok")
	})}
	go srv.Serve(ln)
	fmt.Printf("listening http://%s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}
