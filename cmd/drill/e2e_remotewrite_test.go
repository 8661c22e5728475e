package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/testenv"
)

// startReceivingPrometheus runs a Prometheus that scrapes nothing and takes
// remote writes, and returns its address once it is ready.
func startReceivingPrometheus(t *testing.T) string {
	t.Helper()
	prom := startPrometheus(t, "", "--web.enable-remote-write-receiver")
	testenv.Eventually(t, 60*time.Second, 100*time.Millisecond, "Prometheus ready", func() (bool, string) {
		resp, err := http.Get("http://" + prom + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return prom
}

// remoteWriteNotes are the report's notes about remote write.
func remoteWriteNotes(r *report.Report) []string {
	var out []string
	for _, n := range r.Environment.Notes {
		if strings.HasPrefix(n, "remote write:") {
			out = append(out, n)
		}
	}
	return out
}

// A run pushes its metrics to a real Prometheus during the load and once
// at its end: Prometheus then holds the report's request count.
func TestRemoteWriteToPrometheus(t *testing.T) {
	t.Parallel()
	prometheusBin(t)
	prom := startReceivingPrometheus(t)
	srv := failingServer(t, 10)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 4s, requests: [{name: root, path: /}]}", "")
	res, r, _ := runScenario(t, file, "--remote-write", "http://"+prom+"/api/v1/write", "--remote-write-interval", "1s")
	if res.code != report.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	if r.Summary.Requests == 0 || r.Summary.Requests != srv.requests.Load() {
		t.Fatalf("report counts %d requests, server saw %d", r.Summary.Requests, srv.requests.Load())
	}
	if n := remoteWriteNotes(r); len(n) != 0 {
		t.Errorf("notes of failed pushes to a working endpoint: %v", n)
	}
	if strings.Contains(res.stderr, "warning: remote write") {
		t.Errorf("a warning about remote write to a working endpoint:\n%s", res.stderr)
	}
	want := float64(r.Summary.Requests)
	for q, v := range map[string]float64{
		`sum(drill_requests_total{scenario="e2e"})`:                                    want,
		`sum(drill_requests_total{scenario="e2e", code="503"})`:                        float64(r.Summary.Codes["503"]),
		`sum(drill_request_failures_total{scenario="e2e", class="http"})`:              float64(r.Summary.Codes["503"]),
		`sum(drill_request_duration_seconds_count{scenario="e2e"})`:                    want,
		`sum(drill_request_duration_seconds_bucket{scenario="e2e", le="+Inf"})`:        want,
		`drill_load_phase{scenario="e2e"}`:                                             0,
		`count(drill_request_duration_seconds_bucket{scenario="e2e", request="root"})`: 15,
	} {
		var got float64
		var ok bool
		var err error
		// Prometheus answers from what it took; the final push was accepted
		// before drill exited, so a few tries only cover its query path.
		testenv.Eventually(t, 10*time.Second, 100*time.Millisecond, q, func() (bool, string) {
			got, ok, err = promQuery(context.Background(), prom, q)
			return ok && got == v, fmt.Sprintf("%g (has value %v, error %v)", got, ok, err)
		})
	}
	// The dashboard's latency panel reads the classic buckets when there is
	// no native histogram, as with remote write.
	panels := 0
	for _, dq := range dashboardQueries(t) {
		if dq.panel != "Latency quantiles" {
			continue
		}
		panels++
		expr := strings.NewReplacer("$scenario", "e2e", "$__rate_interval", "1m").Replace(dq.expr)
		if v, ok, err := promQuery(context.Background(), prom, expr); !ok || err != nil {
			t.Errorf("latency panel: %s has no value (%g, error %v)", expr, v, err)
		}
	}
	if panels == 0 {
		t.Error("the dashboard has no panel \"Latency quantiles\"")
	}
	// Pushes went out during the load too, not only at its end.
	n, _, err := promQuery(context.Background(), prom, `max(count_over_time(drill_requests_total{scenario="e2e", code="200"}[10m]))`)
	if err != nil || n < 3 {
		t.Errorf("Prometheus holds %g samples of the 200s' counter (error %v), want at least 3 of a 4s load pushed every second", n, err)
	}
}

// An endpoint that refuses connections fails no run: the report is
// complete, one line warns of the failures and a note counts them.
func TestRemoteWriteEndpointDown(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 3s}", "checks: [\"success_rate == 100%\"]\n")
	down := "http://" + freeAddr(t) + "/api/v1/write"
	// With --metrics-listen too: one registry is served and pushed.
	res, r, _ := runScenario(t, file, "--remote-write", down, "--remote-write-interval", "1s", "--metrics-listen", "127.0.0.1:0")
	if res.code != report.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	if r.Summary.Requests == 0 || r.Summary.Requests != srv.requests.Load() || r.Status != report.StatusPassed {
		t.Errorf("report: %d requests (server saw %d), status %s; want every request and passed", r.Summary.Requests, srv.requests.Load(), r.Status)
	}
	notes := remoteWriteNotes(r)
	if len(notes) != 1 || !strings.Contains(notes[0], "pushes to "+down+" failed") || !strings.Contains(notes[0], "connection refused") {
		t.Errorf("notes %q, want one counting the pushes refused", notes)
	}
	if n := strings.Count(res.stderr, "drill: warning: remote write to "+down+" failed"); n != 1 {
		t.Errorf("%d warnings of the failing pushes, want 1 for the one streak:\n%s", n, res.stderr)
	}
	if !strings.Contains(res.stderr, "drill: serving metrics at ") {
		t.Errorf("metrics not served alongside:\n%s", res.stderr)
	}
}

// A bad --remote-write is a usage error before any load.
func TestRemoteWriteBadURLIsAUsageError(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 1s}", "")
	for _, c := range []struct{ url, says string }{
		{"ftp://127.0.0.1/api/v1/write", "use http or https"},
		{"http:///api/v1/write", "has no host"},
		{"127.0.0.1:9090/api/v1/write", "give http(s)://HOST:PORT/PATH"},
		{"http://u:hunter2@[::1/x", "give http(s)://HOST:PORT/PATH"},
		{"http://192.0.2.1:9090/api/v1/write", "--remote-write-allow-remote"},
	} {
		t.Run(c.url, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			res := drill(t, "run", "--quiet", "--dir", dir, "--remote-write", c.url, file)
			if res.code != report.ExitUsage || !strings.Contains(res.stderr, c.says) || strings.Contains(res.stderr, "hunter2") {
				t.Errorf("exit %d, want %d saying %q, and no password:\n%s", res.code, report.ExitUsage, c.says, res.stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s was created", dir)
			}
		})
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("%d requests reached the target", n)
	}
}
