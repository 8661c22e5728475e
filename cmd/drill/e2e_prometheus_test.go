package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// prometheusBin is Prometheus's server, which scripts/deps.sh installs.
func prometheusBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed, though scripts/deps.sh installs it")
		}
		t.Skip("prometheus is not installed (scripts/deps.sh installs it: apt-get install prometheus)")
	}
	return bin
}

// startPrometheus runs a Prometheus that scrapes target (host:port; none
// when empty) every second, native histograms on, with extra flags args,
// and returns its address.
func startPrometheus(t *testing.T, target string, args ...string) string {
	t.Helper()
	bin := prometheusBin(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	body := "global: {scrape_interval: 1s, scrape_timeout: 900ms}\n"
	if target != "" {
		body += fmt.Sprintf("scrape_configs:\n  - job_name: drill\n    static_configs: [{targets: [%q]}]\n", target)
	}
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"--config.file=" + cfg, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--enable-feature=native-histograms"}, args...)...)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus:\n%s", log.String())
		}
	})
	return addr
}

// promQuery evaluates an instant query and returns the value of its first
// sample, if it has one.
func promQuery(ctx context.Context, addr, query string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var doc struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return 0, false, err
	}
	if doc.Status != "success" {
		return 0, false, fmt.Errorf("query %s: %s", query, doc.Error)
	}
	if len(doc.Data.Result) == 0 {
		return 0, false, nil
	}
	s, _ := doc.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil, err
}

// A real Prometheus scrapes a run's metrics, native histogram included,
// and answers queries over them.
func TestPrometheusScrapesARun(t *testing.T) {
	t.Parallel()
	prometheusBin(t)
	srv := failingServer(t, 10)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 12s, requests: [{name: root, path: /}]}", "")
	m := startWithMetrics(t, file)
	u, err := url.Parse(m.url)
	if err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, u.Host)
	for _, q := range []string{
		`sum(drill_requests_total{scenario="e2e", request="root"})`,
		`sum(drill_request_failures_total{scenario="e2e", code="503", class="http"})`,
		`histogram_count(sum(drill_request_duration_seconds{scenario="e2e"}))`,
		`drill_load_phase{scenario="e2e"}`,
	} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			v, ok, err := promQuery(context.Background(), prom, q)
			if ok && v > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Prometheus answers %s with %g (has value %v, error %v); want a positive value", q, v, ok, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	// Every query of the Grafana dashboard is valid PromQL, and those of
	// the load's panels have data (a url target has no datapath series).
	withData := map[string]bool{"Request rate by status code": true, "Failures by error class": true, "Latency quantiles": true, "In flight, target rate and phase": true}
	for _, dq := range dashboardQueries(t) {
		expr := strings.NewReplacer("$scenario", "e2e", "$__rate_interval", "5s").Replace(dq.expr)
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, ok, err := promQuery(context.Background(), prom, expr)
			if err != nil {
				t.Fatalf("panel %q: %v", dq.panel, err)
			}
			if ok || !withData[dq.panel] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("panel %q: Prometheus has no data for %s", dq.panel, expr)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	m.wait(t)
}

type dashboardQuery struct{ panel, expr string }

// dashboardQueries are the queries of deploy/grafana/drill.json.
func dashboardQueries(t *testing.T) []dashboardQuery {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "drill.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("deploy/grafana/drill.json: %v", err)
	}
	var out []dashboardQuery
	for _, p := range doc.Panels {
		for _, tg := range p.Targets {
			out = append(out, dashboardQuery{p.Title, tg.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatal("deploy/grafana/drill.json has no queries")
	}
	return out
}
