package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// A backend that accepts and never answers, with the default 30s timeout:
// every request is still in flight when its second is evaluated, counts as
// failed (no response), and the abort fires within the window plus the
// grace, not after the whole run. The requests in flight are cancelled and
// counted, not waited for.
func TestHungBackendAborts(t *testing.T) {
	t.Parallel()
	srv := newHangingServer(t)
	file := scenarioFile(t, srv.URL, "{rate: 20/s, duration: 30s}", "abortWhen: [\"error_rate > 90% for 1s\"]\n")
	res, r, dir := runScenario(t, file)
	if res.code != report.ExitAborted {
		t.Fatalf("exit %d, want %d (aborted)\n%s", res.code, report.ExitAborted, res.stderr)
	}
	if r.Status != report.StatusAborted || r.Abort == nil || r.Abort.Expr != "error_rate > 90% for 1s" {
		t.Fatalf("status %s abort %+v, want aborted by error_rate > 90%% for 1s", r.Status, r.Abort)
	}
	// It fired after the window's first second ended (t >= 1s) and long
	// before the requests' 30s timeout or the run's end.
	ran := r.EndedAt.Sub(r.StartedAt)
	if r.Abort.AtT < 1 || float64(r.Abort.AtT) > ran.Seconds() || ran.Seconds() >= 25 {
		t.Fatalf("aborted at t=%ds after a run of %s: want it to fire after 1s and the run to stop well before the 30s timeout", r.Abort.AtT, ran)
	}
	if !strings.HasPrefix(r.Abort.Message, "error_rate was 100% for 1s from t=") {
		t.Errorf("abort message %q: want the error rate of 100%% that fired it and when its streak began", r.Abort.Message)
	}
	// Every request sent was cancelled at the stop, and is counted.
	if r.Summary.Requests == 0 || r.Summary.Errors[metric.ClassCancelled] != r.Summary.Requests || r.Summary.Successes != 0 {
		t.Fatalf("summary %d requests, %d successes, errors %v: want every request counted as cancelled", r.Summary.Requests, r.Summary.Successes, r.Summary.Errors)
	}
	if got := decodeResults(t, filepath.Join(dir, "results.bin")); got != r.Summary.Requests {
		t.Errorf("vegeta reads %d results from results.bin, the report counts %d", got, r.Summary.Requests)
	}
	if srv.accepted.Load() == 0 {
		t.Errorf("the server accepted no connection: the load never reached it")
	}
}

// With every worker held (maxWorkers 5 against a backend that never
// answers), the schedule's further requests cannot be sent: they count as
// failed too, and the run aborts instead of seeing seconds without data.
func TestHungBackendHoldingAllWorkersAborts(t *testing.T) {
	t.Parallel()
	srv := newHangingServer(t)
	file := scenarioFile(t, srv.URL, "{rate: 20/s, duration: 30s, workers: 5, maxWorkers: 5}", "abortWhen: [\"error_rate > 90% for 3s\"]\n")
	res, r, _ := runScenario(t, file)
	if res.code != report.ExitAborted || r.Status != report.StatusAborted || r.Abort == nil {
		t.Fatalf("exit %d status %s abort %+v, want aborted\n%s", res.code, r.Status, r.Abort, res.stderr)
	}
	if r.Summary.Requests > 6 {
		t.Errorf("%d requests with 5 workers held: want at most 6", r.Summary.Requests)
	}
	if ran := r.EndedAt.Sub(r.StartedAt); ran.Seconds() >= 25 {
		t.Errorf("run took %s: the abort did not stop it before the timeout", ran)
	}
}

// The plain progress line of a stalled run says so: requests in flight,
// no response, and no "ok 100%".
func TestProgressShowsStalledRun(t *testing.T) {
	t.Parallel()
	srv := newHangingServer(t)
	dir := filepath.Join(t.TempDir(), "run")
	file := scenarioFile(t, srv.URL, "{rate: 5/s, duration: 60s}", "abortWhen: [\"error_rate > 90% for 10s\"]\n")
	cmd := exec.Command(drillBin, "run", "--dir", dir, file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != report.ExitAborted {
		t.Fatalf("exit %d, want %d\n%s", code, report.ExitAborted, stderr.String())
	}
	out := stdout.String() + stderr.String()
	line := regexp.MustCompile(`\[\s*10s/60s\][^\n]*`).FindString(out)
	if line == "" {
		t.Fatalf("no progress line for the 10th second in\n%s", out)
	}
	if !strings.Contains(line, "ok   0.00%") || !regexp.MustCompile(`in flight \d+, no response yet`).MatchString(line) {
		t.Errorf("progress line %q: want ok 0%% and the requests in flight with no response", line)
	}
}
