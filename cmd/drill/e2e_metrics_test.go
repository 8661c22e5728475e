package main

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/promexport/promtest"
	"github.com/drillkit/drill/pkg/report"
)

// metricsRun is `drill run --metrics-listen 127.0.0.1:0` under way.
type metricsRun struct {
	cmd *exec.Cmd
	url string // where it serves its metrics
	dir string // its run directory
	// stderr is what it printed, complete once done is closed.
	stderr strings.Builder
	done   chan struct{}
}

// startWithMetrics starts a run of file that serves its metrics on a free
// loopback port (args go before file), and returns once it said where.
func startWithMetrics(t *testing.T, file string, args ...string) *metricsRun {
	t.Helper()
	m := &metricsRun{dir: filepath.Join(t.TempDir(), "run"), done: make(chan struct{})}
	m.cmd = exec.Command(drillBin, append(append([]string{"run", "--quiet", "--dir", m.dir, "--metrics-listen", "127.0.0.1:0"}, args...), file)...)
	stderr, err := m.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.cmd.Process.Kill() })
	urls := make(chan string, 1)
	go func() {
		defer close(m.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			m.stderr.WriteString(sc.Text() + "\n")
			if u, ok := strings.CutPrefix(sc.Text(), "drill: serving metrics at "); ok {
				urls <- u
			}
		}
	}()
	select {
	case m.url = <-urls:
		return m
	case <-m.done:
		t.Fatalf("drill ended without serving metrics:\n%s", m.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("drill did not say where it serves metrics")
	}
	return nil
}

// wait waits for the run to end and returns its stderr.
func (m *metricsRun) wait(t *testing.T) string {
	t.Helper()
	<-m.done
	if err := m.cmd.Wait(); err != nil {
		t.Fatalf("drill run: %v\n%s", err, m.stderr.String())
	}
	return m.stderr.String()
}

// scrapeUntil scrapes url until ok accepts what it read (a lab run takes
// a while to bring its lab up before the load starts).
func scrapeUntil(t *testing.T, url string, what string, ok func(promtest.Families) bool) promtest.Families {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		f, err := promtest.Scrape(context.Background(), url)
		if err == nil && ok(f) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrape of %s showed %s (last error %v)", url, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMetricsServedDuringTheRun(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 10)
	file := scenarioFile(t, srv.URL, "{phases: [{duration: 4s, rate: 50/s}, {duration: 4s, rate: 100/s}], requests: [{name: root, path: /}]}", "")
	m := startWithMetrics(t, file)
	url := m.url
	sc := map[string]string{"scenario": "e2e"}

	first := scrapeUntil(t, url, "requests", func(f promtest.Families) bool {
		n, _ := f.Sum("drill_requests_total", sc)
		return n > 0
	})
	n1, _ := first.Sum("drill_requests_total", sc)
	f := scrapeUntil(t, url, "more requests, failures and the second phase", func(f promtest.Families) bool {
		n, _ := f.Sum("drill_requests_total", sc)
		failed, _ := f.Sum("drill_request_failures_total", map[string]string{"code": "503", "class": "http", "request": "root"})
		phase, _ := f.Sum("drill_load_phase", sc)
		return n > n1 && failed > 0 && phase == 2
	})
	if n, series := f.Sum("drill_request_duration_seconds", map[string]string{"scenario": "e2e", "request": "root"}); series != 1 || n == 0 {
		t.Errorf("latency histogram: %d series with %g observations, want one with some", series, n)
	}
	if _, series := f.Sum("drill_requests_in_flight", sc); series != 1 {
		t.Errorf("drill_requests_in_flight: %d series, want 1", series)
	}
	if rate, _ := f.Sum("drill_load_target_requests_per_second", sc); rate != 100 {
		t.Errorf("target rate in the second phase %g, want 100", rate)
	}

	m.wait(t)
	r, err := report.Load(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Requests < uint64(n1) {
		t.Errorf("report counts %d requests, fewer than a scrape during the run (%g)", r.Summary.Requests, n1)
	}
	if _, err := promtest.Scrape(context.Background(), url); err == nil {
		t.Error("metrics still served after drill exited")
	}
}

func TestMetricsListenRefusesRemoteAndBoundAddresses(t *testing.T) {
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 10/s, duration: 1s}", "")
	res := drill(t, "run", "--quiet", "--dir", filepath.Join(t.TempDir(), "run"), "--metrics-listen", "0.0.0.0:0", file)
	if res.code != report.ExitUsage || !strings.Contains(res.stderr, "--metrics-allow-remote") {
		t.Errorf("exit %d, stderr %s: want 2 and advice to pass --metrics-allow-remote", res.code, res.stderr)
	}
	// The target server's own port is taken: listening fails before any load.
	addr := strings.TrimPrefix(srv.URL, "http://")
	before := srv.requests.Load()
	res = drill(t, "run", "--quiet", "--dir", filepath.Join(t.TempDir(), "run"), "--metrics-listen", addr, file)
	if res.code != report.ExitError || !strings.Contains(res.stderr, "serve metrics") {
		t.Errorf("exit %d, stderr %s: want 1 and the listen error", res.code, res.stderr)
	}
	if got := srv.requests.Load(); got != before {
		t.Errorf("%d requests sent although the metrics could not be served", got-before)
	}
}
