package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// TestTuneRefusesBadInputBeforeAnyRun: a variable the scenario does not
// have, a bad range, an --until that does not parse, a matrix over another
// variable or a scenario without a condition end with exit 2 and a message
// naming the problem, before any run (the search's directory is not made).
func TestTuneRefusesBadInputBeforeAnyRun(t *testing.T) {
	t.Parallel()
	noChecks := filepath.Join(t.TempDir(), "no-checks.yaml")
	body, err := os.ReadFile("testdata/tune-rolling-update.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.ReplaceAll(strings.Split(string(body), "checks:")[0], "../../../scenarios/", mustAbs(t, "../../scenarios")+"/"))
	if err := os.WriteFile(noChecks, body, 0o644); err != nil {
		t.Fatal(err)
	}
	const rolling = "testdata/tune-rolling-update.yaml"
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown variable", []string{rolling, "--vary", "setup.prestop=0s..60s"}, []string{"--vary setup.prestop: not a variable", "setup.preStopSleep"}},
		{"unordered variable", []string{rolling, "--vary", "target.lab.proxyMode=iptables..ipvs"}, []string{"no order"}},
		{"no setup to vary", []string{"../../scenarios/echo-steady.yaml", "--vary", "setup.preStopSleep=0s..60s"}, []string{"--vary setup.preStopSleep=0s: matrix.setup.preStopSleep: changes the setup's objects, but the scenario has no setup"}},
		{"low end not below the high end", []string{rolling, "--vary", "setup.preStopSleep=60s..30s"}, []string{"the low end 60s must be below the high end 30s"}},
		{"units mixed", []string{rolling, "--vary", "setup.preStopSleep=0s..60"}, []string{"units mixed"}},
		{"a count given as durations", []string{rolling, "--vary", "setup.terminationGracePeriodSeconds=0s..60s"}, []string{"whole number, not a duration"}},
		{"beyond the variable's bounds", []string{rolling, "--vary", "setup.preStopSleep=0s..2h"}, []string{"7200s", "from 0s to 1h"}},
		{"resolution", []string{rolling, "--vary", "setup.preStopSleep=0s..60s", "--resolution", "90s"}, []string{"wider than the range"}},
		{"until does not parse", []string{rolling, "--vary", "setup.preStopSleep=0s..60s", "--until", "status_5xx = 0", "--until", "p99 <"}, []string{`--until "status_5xx = 0": column 12: unknown operator "="`, `--until "p99 <"`}},
		{"every problem at once", []string{rolling, "--vary", "setup.preStopSleep=9s..3s", "--until", "nope == 1"}, []string{"must be below", `--until "nope == 1"`}},
		{"max runs below both ends", []string{rolling, "--vary", "setup.preStopSleep=0s..60s", "--repeat-per-step", "2", "--max-runs", "3"}, []string{"--max-runs 3: at least 4"}},
		{"no runs", []string{rolling, "--vary", "setup.preStopSleep=0s..60s", "--repeat-per-step", "0", "--max-runs", "0"}, []string{"--repeat-per-step 0: at least 1"}},
		{"max runs zero", []string{rolling, "--vary", "setup.preStopSleep=0s..60s", "--max-runs", "0", "--until", "p99 <"}, []string{"--max-runs 0: at least 2", `--until "p99 <"`}},
		{"matrix over another variable", []string{"../../scenarios/pod-imbalance.yaml", "--vary", "setup.preStopSleep=0s..60s"}, []string{"matrix.target.lab.proxyMode has 2 values", "--set 'matrix={target.lab.proxyMode: [iptables]}'"}},
		{"no condition", []string{noChecks, "--vary", "setup.preStopSleep=0s..60s"}, []string{"has no checks", "--until"}},
		{"host change without opt-in", []string{rolling, "--vary", "target.lab.hostConntrackMax=131072..262144"}, []string{"--allow-host-sysctl"}},
		{"no --vary", []string{rolling}, []string{`required flag(s) "vary" not set`}},
		{"two files", []string{rolling, rolling, "--vary", "setup.preStopSleep=0s..60s"}, []string{"name one scenario file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			res := drill(t, append([]string{"tune", "--out", out}, tc.args...)...)
			if res.code != report.ExitUsage {
				t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Fatalf("a run was started: %s holds %v", out, entries)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
