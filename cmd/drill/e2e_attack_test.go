package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// TestAttack sends drill attack's load to a loopback server: the method,
// header and body given as flags arrive, the report counts what the server
// saw, and a failing --check makes the run exit 3.
func TestAttack(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Order")+" "+string(b))
		mu.Unlock()
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	body := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(body, []byte(`{"item": 42}`), 0o644); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "attack", srv.URL+"/orders", "--rate", "20/s", "--duration", "1s", "--method", "POST", "--body-file", body,
		"-H", "X-Order: 7", "--check", "status_5xx == 0", "--quiet", "--dir", dir)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	r, err := report.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(seen)
	bad := ""
	for _, s := range seen {
		if s != `POST /orders 7 {"item": 42}` {
			bad = s
		}
	}
	mu.Unlock()
	if n == 0 || r.Summary.Requests != uint64(n) || bad != "" {
		t.Errorf("report counts %d requests, the server saw %d; one was %q", r.Summary.Requests, n, bad)
	}
	if r.Scenario.Name != "attack" || r.ExitCode != 0 {
		t.Errorf("report of scenario %q, exit %d", r.Scenario, r.ExitCode)
	}

	res = drill(t, "attack", srv.URL+"/fail", "--rate", "20/s", "--duration", "1s", "--check", "status_5xx == 0", "--quiet", "--dir", filepath.Join(t.TempDir(), "run"))
	if res.code != report.ExitChecksFailed {
		t.Errorf("a failing check: exit %d, want 3\n%s", res.code, res.stderr)
	}
}

// TestAttackBadFlags: every problem names its flag, and nothing runs.
func TestAttackBadFlags(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "runs")
	res := drill(t, "attack", "ftp://127.0.0.1/", "--rate", "fast", "--duration", "-1s", "--check", "p99 <", "--body", "x", "--body-file", "x.json", "--out", out)
	if res.code != report.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"URL ftp://127.0.0.1/: target.url", "--rate fast: load.rate", "--duration -1s: load.duration", `--check "p99 <": checks[0]`, "body and bodyFile are both given"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr:\n%s\nwant %q", res.stderr, want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a refused attack: %v", out, err)
	}
	if res := drill(t, "attack", "-H", "no colon", "http://127.0.0.1/"); res.code != report.ExitUsage || !strings.Contains(res.stderr, "want 'Name: value'") {
		t.Errorf("-H without a colon: exit %d, %s", res.code, res.stderr)
	}
}
