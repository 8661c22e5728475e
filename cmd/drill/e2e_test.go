package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/report"
)

// drillBin is the drill binary under test (see TestMain).
var drillBin string

// TestMain runs the tests against the drill binary DRILL_BIN names (make
// test sets it to bin/drill, built from this tree), or builds one.
func TestMain(m *testing.M) {
	if drillBin = os.Getenv(lab.EnvDrillBinary); drillBin != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "drill-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	drillBin = filepath.Join(dir, "drill")
	if out, err := exec.Command("go", "build", "-o", drillBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build drill: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func drill(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(drillBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("drill %v: %v", args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// scenarioFile writes a scenario for url with the given load and checks.
func scenarioFile(t *testing.T, url, load string, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	body := fmt.Sprintf("apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: e2e}\ntarget: {url: %q}\nload: %s\n%s", url, load, extra)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// webScenario writes a scenario named name whose setup is the shipped web
// workload, followed by rest (target, load, faults...), and returns its path.
func webScenario(t *testing.T, name, rest string) string {
	t.Helper()
	web, err := filepath.Abs("../../scenarios/manifests/web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "s.yaml")
	body := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: " + name + "}\nsetup: [" + web + "]\n" + rest
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runScenario(t *testing.T, file string, args ...string) (result, *report.Report, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, append([]string{"run", "--quiet", "--dir", dir, file}, args...)...)
	r, err := report.Load(dir)
	if err != nil {
		t.Fatalf("no report after run (exit %d): %v\nstderr: %s", res.code, err, res.stderr)
	}
	return res, r, dir
}

func TestFailingServerCountsMatchAndChecksFail(t *testing.T) {
	srv := failingServer(t, 10)
	file := scenarioFile(t, srv.URL, "{rate: 200/s, duration: 2s}", "checks: [\"success_rate >= 99%\", \"status_503 > 0\"]\n")
	res, r, _ := runScenario(t, file)
	if res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, want %d (checks failed)\n%s", res.code, report.ExitChecksFailed, res.stderr)
	}
	if got, want := r.Summary.Requests, srv.requests.Load(); got != want {
		t.Errorf("report counts %d requests, server saw %d", got, want)
	}
	if got, want := r.Summary.Codes["503"], srv.failed.Load(); got != want || want == 0 {
		t.Errorf("report counts %d 503s, server sent %d", got, want)
	}
	if got, want := r.Summary.Successes, srv.requests.Load()-srv.failed.Load(); got != want {
		t.Errorf("report counts %d successes, server answered %d with 200", got, want)
	}
	if r.Status != report.StatusFailed || r.Checks[0].Passed || !r.Checks[1].Passed {
		t.Errorf("status %s checks %+v: want the success_rate check failed and the status_503 one passed", r.Status, r.Checks)
	}
}

func TestPassingRunExitsZeroAndRendersJUnit(t *testing.T) {
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 100/s, duration: 2s, requests: [{path: /a, weight: 3}, {path: /b, method: POST, body: hi}]}",
		"checks: [\"success_rate == 100%\", \"errors == 0\", \"backends == 1\"]\n")
	res, r, dir := runScenario(t, file)
	if res.code != report.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	if r.Summary.Requests != srv.requests.Load() || r.Summary.Requests == 0 {
		t.Fatalf("report %d requests, server %d", r.Summary.Requests, srv.requests.Load())
	}
	out := drill(t, "report", dir, "-o", "junit")
	if out.code != 0 {
		t.Fatalf("drill report -o junit: exit %d: %s", out.code, out.stderr)
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out.stdout), &suites); err != nil {
		t.Fatalf("JUnit output is not XML: %v\n%s", err, out.stdout)
	}
	if len(suites.Suites) != 1 {
		t.Fatalf("want one suite, got %+v", suites)
	}
	names := map[string]bool{}
	for _, c := range suites.Suites[0].Cases {
		names[c.Name] = true
		if c.Failure != nil {
			t.Errorf("testcase %s failed in a passing run", c.Name)
		}
	}
	for _, c := range r.Checks {
		if !names[c.Expr] {
			t.Errorf("no JUnit testcase for check %q (have %v)", c.Expr, names)
		}
	}
}

func TestResetsAreClassified(t *testing.T) {
	srv := resettingServer(t, 5)
	file := scenarioFile(t, srv.URL, "{rate: 100/s, duration: 2s, keepAlive: false}", "checks: [\"errors_reset == 0\"]\n")
	res, r, _ := runScenario(t, file)
	if res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, want 3\n%s", res.code, res.stderr)
	}
	if r.Summary.Requests != srv.requests.Load() {
		t.Errorf("report %d requests, server %d", r.Summary.Requests, srv.requests.Load())
	}
	failed := r.Summary.Requests - r.Summary.Successes
	if failed != srv.resets.Load() || failed == 0 {
		t.Errorf("report %d failures, server reset %d connections", failed, srv.resets.Load())
	}
	if got := r.Summary.Errors["reset"] + r.Summary.Errors["eof"]; got != srv.resets.Load() {
		t.Errorf("reset+eof errors %d (%v), want %d", got, r.Summary.Errors, srv.resets.Load())
	}
}

func TestSlowServerLatencyChecks(t *testing.T) {
	t.Parallel()
	srv := slowServer(t, 150*time.Millisecond)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 2s}", "checks: [\"p50 >= 150ms\", \"p99 < 100ms\"]\n")
	res, r, _ := runScenario(t, file)
	if res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, want 3\n%s", res.code, res.stderr)
	}
	if !r.Checks[0].Passed || r.Checks[1].Passed {
		t.Fatalf("checks %+v: want p50 >= 150ms to pass and p99 < 100ms to fail", r.Checks)
	}
}

func TestAbortWhenStopsTheRun(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 60s}", "abortWhen: [\"error_rate > 50% for 2s\"]\n")
	res, r, _ := runScenario(t, file)
	if res.code != report.ExitAborted {
		t.Fatalf("exit %d, want 4 (aborted)\n%s", res.code, res.stderr)
	}
	if r.Status != report.StatusAborted || r.Abort == nil || r.Abort.Expr != "error_rate > 50% for 2s" {
		t.Fatalf("status %s abort %+v", r.Status, r.Abort)
	}
	if r.Summary.Requests >= 50*60 {
		t.Fatalf("%d requests: the run was not stopped early", r.Summary.Requests)
	}
	if r.Summary.Requests != srv.requests.Load() {
		t.Errorf("report %d requests, server %d", r.Summary.Requests, srv.requests.Load())
	}
}

func TestInvalidScenarioReportsEveryErrorAndRunsNothing(t *testing.T) {
	srv := failingServer(t, 1<<40)
	p := filepath.Join(t.TempDir(), "bad.yaml")
	body := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: bad}\ntarget: {url: " + srv.URL + "}\nload:\n  rate: fast\n  duration: 2s\n  keepAlives: true\nchecks: [\"p99 < 99%\"]\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--dir", dir, p)
	if res.code != report.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	for _, want := range []string{p + ":6:", p + ":8:", p + ":9:", "load.keepAlives", "keepAlive"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if srv.requests.Load() != 0 {
		t.Errorf("an invalid scenario sent %d requests", srv.requests.Load())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid scenario created its run directory")
	}
	if v := drill(t, "validate", p); v.code != report.ExitUsage || !strings.Contains(v.stderr, p+":6:") {
		t.Errorf("drill validate: exit %d, stderr %s", v.code, v.stderr)
	}
}

func TestUnreachableTargetFailsBeforeLoad(t *testing.T) {
	srv := failingServer(t, 1)
	url := srv.URL
	srv.Close()
	res := drill(t, "run", "--dir", filepath.Join(t.TempDir(), "run"), scenarioFile(t, url, "{rate: 10/s, duration: 1s}", ""))
	if res.code != report.ExitError || !strings.Contains(res.stderr, "cannot reach") {
		t.Fatalf("exit %d, stderr %s: want 1 and a cannot-reach message", res.code, res.stderr)
	}
}

func TestRemoteTargetRefusedWithoutOptIn(t *testing.T) {
	res := drill(t, "run", "--dir", filepath.Join(t.TempDir(), "run"), scenarioFile(t, "http://192.0.2.1:9/", "{rate: 10/s, duration: 1s}", ""))
	if res.code != report.ExitUsage || !strings.Contains(res.stderr, "--allow-remote") {
		t.Fatalf("exit %d, stderr %s: want 2 and advice to pass --allow-remote", res.code, res.stderr)
	}
}

func TestHostSysctlRefusedWithoutOptIn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, "../../scenarios/conntrack-overflow.yaml")
	if res.code != report.ExitUsage || !strings.Contains(res.stderr, "--allow-host-sysctl") || !strings.Contains(res.stderr, "nf_conntrack_max") {
		t.Fatalf("exit %d, stderr %s: want 2 and advice to pass --allow-host-sysctl", res.code, res.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created its run directory")
	}
}

func TestClusterChangesRefusedWithoutOptIn(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kp.yaml")
	body := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: kp}\ntarget: {lab: {name: nolab}}\nload: {rate: 1/s, duration: 10s}\nfaults: [{at: 0s, kubeProxyMode: {mode: ipvs}}]\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, p)
	if res.code != report.ExitUsage || !strings.Contains(res.stderr, "--allow-cluster-changes") {
		t.Fatalf("exit %d, stderr %s: want 2 and advice to pass --allow-cluster-changes", res.code, res.stderr)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created its run directory")
	}
}

func TestInterruptedRunLeavesIncompleteReport(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1<<40)
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(drillBin, "run", "--quiet", "--dir", dir, scenarioFile(t, srv.URL, "{rate: 100/s, duration: 60s}", "checks: [\"errors == 0\"]\n"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for srv.requests.Load() < 50 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != report.ExitError {
		t.Fatalf("exit %d, want 1 for an interrupted run\n%s", code, stderr.String())
	}
	r, err := report.Load(dir)
	if err != nil {
		t.Fatalf("interrupted run left no valid report: %v", err)
	}
	if !r.Incomplete || r.Status != report.StatusError || r.Summary.Requests == 0 {
		t.Fatalf("report incomplete=%v status=%s requests=%d: want an incomplete error report with the requests made", r.Incomplete, r.Status, r.Summary.Requests)
	}
	if r.Summary.Requests > srv.requests.Load() {
		t.Fatalf("report %d requests, more than the server's %d", r.Summary.Requests, srv.requests.Load())
	}
	// Every request it made succeeded, but it covered a few seconds of 60:
	// its score is partial and far from 100.
	if !r.Score.Partial || r.Score.Coverage >= 0.5 || r.Score.Total >= 50 || !strings.Contains(stdout.String(), "partial") {
		t.Errorf("score %+v, printed:\n%s\nwant a partial score scaled by the share of the plan covered", r.Score, stdout.String())
	}
}

func TestCompareFailsOnRegression(t *testing.T) {
	t.Parallel()
	good := failingServer(t, 1<<40)
	bad := failingServer(t, 4)
	_, _, base := runScenario(t, scenarioFile(t, good.URL, "{rate: 200/s, duration: 2s}", ""))
	_, _, cand := runScenario(t, scenarioFile(t, bad.URL, "{rate: 200/s, duration: 2s}", ""))
	res := drill(t, "compare", base, cand, "--fail-on-regression")
	if res.code != report.ExitRegression || !strings.Contains(res.stderr, "error rate") {
		t.Fatalf("compare good→bad: exit %d, want %d with the error rate named\n%s%s", res.code, report.ExitRegression, res.stdout, res.stderr)
	}
	// Latency verdicts depend on the machine; the error rate's does not.
	res = drill(t, "compare", cand, base, "-o", "json")
	if res.code != report.ExitOK {
		t.Fatalf("compare bad→good: exit %d\n%s", res.code, res.stderr)
	}
	var doc any
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("compare -o json: %v", err)
	}
	if v := verdictOf(doc, "error_rate"); v != "better" {
		t.Fatalf("compare bad→good: error rate verdict %q, want better\n%s", v, res.stdout)
	}
}

func TestReportFromResultsRecomputes(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 3)
	_, r, dir := runScenario(t, scenarioFile(t, srv.URL, "{rate: 100/s, duration: 2s}", "checks: [\"status_503 > 0\"]\n"))
	res := drill(t, "report", "--from-results", dir, "-o", "json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	again, err := report.Decode([]byte(res.stdout), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	if again.Summary.Requests != r.Summary.Requests || again.Summary.Codes["503"] != r.Summary.Codes["503"] || !again.Checks[0].Passed {
		t.Fatalf("recomputed %d requests / %d 503s / checks %+v; saved %d / %d",
			again.Summary.Requests, again.Summary.Codes["503"], again.Checks, r.Summary.Requests, r.Summary.Codes["503"])
	}
}

func TestShippedScenariosValidate(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no scenarios shipped")
	}
	res := drill(t, append([]string{"validate"}, files...)...)
	if res.code != 0 {
		t.Fatalf("drill validate scenarios: exit %d\n%s", res.code, res.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"run"}, {"report"}, {"compare", "one"}, {"run", "-o", "xml", "x.yaml"}} {
		if res := drill(t, args...); res.code != report.ExitUsage {
			t.Errorf("drill %v: exit %d, want 2", args, res.code)
		}
	}
	if res := drill(t, "run", "--lab-name", "Run-1", "../../scenarios/echo-steady.yaml"); res.code != report.ExitUsage || !strings.Contains(res.stderr, "--lab-name") {
		t.Errorf("drill run --lab-name Run-1: exit %d, want 2 naming the flag\n%s", res.code, res.stderr)
	}
	if res := drill(t, "explain"); res.code != 0 || !strings.Contains(res.stdout, "apiVersion") {
		t.Errorf("drill explain: exit %d", res.code)
	}
	if res := drill(t, "explain", "advise"); res.code != 0 || !strings.Contains(res.stdout, "prestop-missing") {
		t.Errorf("drill explain advise: exit %d\n%s", res.code, res.stdout)
	}
	if res := drill(t, "explain", "checks"); res.code != 0 || !strings.Contains(res.stdout, "success_rate") {
		t.Errorf("drill explain checks: exit %d\n%s", res.code, res.stdout)
	}
}

// verdictOf finds the verdict of the metric with key in a comparison's JSON.
func verdictOf(doc any, key string) string {
	switch v := doc.(type) {
	case map[string]any:
		if v["key"] == key {
			s, _ := v["verdict"].(string)
			return s
		}
		for _, x := range v {
			if s := verdictOf(x, key); s != "" {
				return s
			}
		}
	case []any:
		for _, x := range v {
			if s := verdictOf(x, key); s != "" {
				return s
			}
		}
	}
	return ""
}

func TestDryRunChangesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "runs")
	res := drill(t, "run", "--dry-run", "--out", out, "../../scenarios/rolling-update-prestop.yaml")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"would bring up lab", "would apply (server-side, field manager drill) Deployment default/web", "fault at 5s: rollingUpdate deployment/web"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, res.stdout)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a dry run created %s", out)
	}
}

func TestUnsustainedRateIsReported(t *testing.T) {
	t.Parallel()
	srv := slowServer(t, 100*time.Millisecond)
	_, r, _ := runScenario(t, scenarioFile(t, srv.URL, "{rate: 100/s, duration: 2s, workers: 1, maxWorkers: 1}", ""))
	var note string
	for _, n := range r.Environment.Notes {
		if strings.HasPrefix(n, "rate not sustained") {
			note = n
		}
	}
	if note == "" {
		t.Fatalf("one worker against a 100ms server cannot send 100/s, and the report does not say so: notes %v", r.Environment.Notes)
	}
	if r.Summary.Requests > 40 {
		t.Fatalf("%d requests with one worker at 100ms each in 2s", r.Summary.Requests)
	}
}
