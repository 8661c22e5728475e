package main

import (
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// A check relative to the baseline is not judged by the run; drill compare
// --baseline judges it on every candidate, and --fail-on-regression gates
// on it.
func TestBaselineRelativeChecks(t *testing.T) {
	t.Parallel()
	good := failingServer(t, 1<<40)
	bad := failingServer(t, 4) // every 4th request 503
	checks := "checks: [\"errors <= +5\", \"success_rate >= 0%\"]\n"
	res, r, base := runScenario(t, scenarioFile(t, good.URL, "{rate: 100/s, duration: 1s}", checks))
	if res.code != report.ExitOK || len(r.Checks) != 1 || len(r.BaselineChecks) != 1 || r.BaselineChecks[0] != "errors <= +5" {
		t.Fatalf("exit %d, checks %+v, baseline checks %q; want the absolute check judged and the relative one kept\n%s", res.code, r.Checks, r.BaselineChecks, res.stderr)
	}
	_, _, same := runScenario(t, scenarioFile(t, good.URL, "{rate: 100/s, duration: 1s}", checks))
	_, _, worse := runScenario(t, scenarioFile(t, bad.URL, "{rate: 100/s, duration: 1s}", checks))
	res = drill(t, "compare", "--fail-on-regression", "--baseline", base, same, worse)
	if res.code != report.ExitRegression {
		t.Fatalf("exit %d, want %d\n%s%s", res.code, report.ExitRegression, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "#3: check errors <= +5") || strings.Contains(res.stderr, "#2: check") {
		t.Errorf("stderr %q: want the third run's check failed and the second's passed", res.stderr)
	}
	if !strings.Contains(res.stdout, "check against the baseline") || !strings.Contains(res.stdout, "baseline 0, so <= 5") {
		t.Errorf("stdout does not show the checks against the baseline:\n%s", res.stdout)
	}
}
