package main

import (
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// A run without checks has no evidence for a verdict: against a server that
// fails every request it must neither say PASSED nor score high.
func TestRunWithoutChecksIsUnjudged(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1) // every request 503
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 2s}", "")
	res, r, _ := runScenario(t, file)
	if res.code != report.ExitOK {
		t.Fatalf("exit %d, want %d (no checks: nothing judged, not a failure)\n%s", res.code, report.ExitOK, res.stderr)
	}
	if r.Summary.Requests == 0 || r.Summary.Successes != 0 {
		t.Fatalf("requests %d successes %d, want requests and no success", r.Summary.Requests, r.Summary.Successes)
	}
	if r.Status != report.StatusUnjudged || r.ExitCode != report.ExitOK {
		t.Errorf("status %q exit code %d, want unjudged and 0", r.Status, r.ExitCode)
	}
	if r.Score.Total >= 50 {
		t.Errorf("score %.1f for a run in which every request failed; want it low (%+v)", r.Score.Total, r.Score.Components)
	}
	if strings.Contains(res.stdout, "PASSED") || !strings.Contains(res.stdout, "UNJUDGED") || !strings.Contains(res.stdout, "nothing judged") {
		t.Errorf("stdout does not say the run was not judged:\n%s", res.stdout)
	}

	res, r, dir := runScenario(t, file, "--require-checks")
	if res.code != report.ExitChecksFailed || r.Status != report.StatusUnjudged || r.ExitCode != report.ExitChecksFailed {
		t.Fatalf("--require-checks: exit %d, status %q, report exit code %d; want %d, unjudged, %d\n%s",
			res.code, r.Status, r.ExitCode, report.ExitChecksFailed, report.ExitChecksFailed, res.stderr)
	}
	// Recomputing from the raw results judges the same way.
	out := drill(t, "report", "--from-results", dir, "-o", "json")
	if out.code != 0 || !strings.Contains(out.stdout, `"status": "unjudged"`) || !strings.Contains(out.stdout, `"exitCode": 3`) {
		t.Errorf("drill report --from-results: exit %d, want the same verdict:\n%s%s", out.code, out.stdout, out.stderr)
	}
}
