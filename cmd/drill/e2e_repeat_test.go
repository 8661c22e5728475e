package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// A repeated run writes each trial's report into its own directory and a
// pooled report that adds up their requests; its exit code is the worst
// trial's.
func TestRepeatPoolsTrials(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 10) // every 10th request 503
	file := scenarioFile(t, srv.URL, "{rate: 100/s, duration: 1s}", "checks: [\"success_rate >= 99%\"]\n")
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, "--repeat", "2", file)
	if res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, want %d (the trials' checks failed)\n%s", res.code, report.ExitChecksFailed, res.stderr)
	}
	var sum uint64
	for _, trial := range []string{"trial-1", "trial-2"} {
		r, err := report.Load(filepath.Join(dir, trial))
		if err != nil {
			t.Fatalf("%s: %v\n%s", trial, err, res.stderr)
		}
		sum += r.Summary.Requests
	}
	if _, err := os.Stat(filepath.Join(dir, "trial-3")); err == nil {
		t.Error("a third trial ran")
	}
	p, err := report.Load(filepath.Join(dir, report.PooledFileName))
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.Requests != sum || sum != srv.requests.Load() || p.Summary.Codes["503"] != srv.failed.Load() {
		t.Errorf("pooled %d requests (%d 503s); trials %d; server %d (%d 503s)", p.Summary.Requests, p.Summary.Codes["503"], sum, srv.requests.Load(), srv.failed.Load())
	}
	if len(p.Trials) != 2 || p.ExitCode != report.ExitChecksFailed || p.Checks[0].Passed {
		t.Errorf("pooled trials %+v, exit %d, checks %+v", p.Trials, p.ExitCode, p.Checks)
	}
	if !strings.Contains(res.stdout, "Pooled 2 trials") || !strings.Contains(res.stdout, "Trials") {
		t.Errorf("stdout does not show the pooled trials:\n%s", res.stdout)
	}

	// drill compare takes the repeated run's directory for its trials,
	// pooled.
	good := failingServer(t, 1<<40)
	_, _, base := runScenario(t, scenarioFile(t, good.URL, "{rate: 100/s, duration: 1s}", ""))
	res = drill(t, "compare", "-o", "json", base, dir)
	if res.code != report.ExitOK {
		t.Fatalf("compare: exit %d\n%s", res.code, res.stderr)
	}
	var doc struct {
		Candidates []struct {
			Run struct{ Requests uint64 } `json:"run"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil || len(doc.Candidates) != 1 {
		t.Fatalf("compare -o json: %v\n%s", err, res.stdout)
	}
	if got := doc.Candidates[0].Run.Requests; got != sum {
		t.Errorf("compare saw %d requests of the repeated run, want the pooled %d", got, sum)
	}
}

// repeat in the file and --set repeat=N are the same field; --repeat is
// checked before anything runs.
func TestRepeatFieldAndFlagValidation(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 1s}", "repeat: 2\n")
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, file)
	if res.code != report.ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if p, err := report.Load(filepath.Join(dir, report.PooledFileName)); err != nil || len(p.Trials) != 2 {
		t.Fatalf("pooled report of repeat: 2: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--repeat", "0"}, "--repeat 0: use 1 to 20 trials"},
		{[]string{"--repeat", "21"}, "--repeat 21: use 1 to 20 trials"},
		{[]string{"--set", "repeat=30"}, "repeat: 30 is above the maximum 20"},
	} {
		res := drill(t, append([]string{"run", "--quiet", "--dir", filepath.Join(t.TempDir(), "x")}, append(tc.args, file)...)...)
		if res.code != report.ExitUsage || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tc.args, res.code, res.stderr, report.ExitUsage, tc.want)
		}
	}
	// A matrix of 4 combinations repeated 20 times is too many runs; the
	// message names the flag. Nothing runs: validation comes first.
	matrix := webScenario(t, "m", "target: {lab: {}}\nload: {rate: 1/s, duration: 1s}\nmatrix:\n  target.lab.nodes: [1, 2, 3, 4]\n")
	res = drill(t, "run", "--quiet", "--repeat", "20", matrix)
	if want := "--repeat 20: repeat: 4 combinations repeated 20 times are 80 runs: at most 64"; res.code != report.ExitUsage || !strings.Contains(res.stderr, want) {
		t.Errorf("a matrix repeated too often: exit %d, stderr %q; want %d with %q", res.code, res.stderr, report.ExitUsage, want)
	}
	res = drill(t, "validate", "--set", "repeat=3", file)
	if res.code != report.ExitOK {
		t.Errorf("validate --set repeat=3: exit %d\n%s", res.code, res.stderr)
	}
}
