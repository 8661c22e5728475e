//go:build lab

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/testenv"
	"github.com/drillkit/drill/pkg/tune"
)

// TestTuneFindsPreStopThreshold searches the preStop sleep of the shipped
// rolling update (a shorter run of it) on the lab, 0s..12s at 3s: without
// preStop requests fail, so 0s fails; 12s is above the ALB's
// deregistration lag and holds; the search ends with a bracket one
// resolution wide, every run's report in its directory.
func TestTuneFindsPreStopThreshold(t *testing.T) {
	labtest.Require(t)
	lab := runLabName(t)
	dir := filepath.Join(t.TempDir(), "tune")
	res := drill(t, "tune", "--quiet", "--dir", dir, "--lab-name", lab,
		"--vary", "setup.preStopSleep=0s..12s", "--resolution", "3s", "--until", "status_5xx == 0",
		"testdata/tune-rolling-update.yaml")
	t.Logf("stdout:\n%s", res.stdout)
	r, err := tune.Load(dir)
	if err != nil {
		t.Fatalf("exit %d, no tune.json: %v\n%s", res.code, err, res.stderr)
	}
	if res.code != report.ExitOK || r.Outcome != tune.OutcomeFound || !r.Resolved {
		t.Fatalf("exit %d, outcome %s, resolved %v; want found (exit 0)\n%s", res.code, r.Outcome, r.Resolved, res.stderr)
	}
	t.Logf("threshold: smallest preStop sleep that held %s, bracket [%s, %s], %d runs", r.Passing, r.Failing, r.Passing, r.Runs())
	if r.Runs() > 4 || r.Steps[0].Value != "0s" || r.Steps[0].Held || r.Steps[0].Failures == 0 {
		t.Fatalf("steps %+v: want at most 4 runs, the first of 0s failing requests", r.Steps)
	}
	if r.Passing == "0s" || r.Failing == "" {
		t.Fatalf("bracket [%s, %s]: without preStop the update drops requests", r.Failing, r.Passing)
	}
	for _, st := range r.Steps {
		rep, err := report.Load(st.Dir)
		if err != nil {
			t.Fatalf("run %d: %v", st.Run, err)
		}
		failed := rep.Summary.Requests - rep.Summary.Successes
		if rep.Variant != "preStopSleep="+st.Value || rep.Summary.Requests != st.Requests || failed != st.Failures || st.Requests < 1000 {
			t.Fatalf("run %d (%s): report variant %q, %d requests, %d failed; step says %d, %d", st.Run, st.Value, rep.Variant, rep.Summary.Requests, failed, st.Requests, st.Failures)
		}
		if len(rep.Checks) != 1 || rep.Checks[0].Expr != "status_5xx == 0" || rep.Checks[0].Passed != st.Held {
			t.Fatalf("run %d: checks %+v; want --until alone, judged as the step (held %v)", st.Run, rep.Checks, st.Held)
		}
	}
	table, err := os.ReadFile(filepath.Join(dir, tune.TableName))
	if err != nil || !strings.Contains(string(table), "Smallest value that holds: "+r.Passing) || !strings.Contains(res.stdout, "rule of three") {
		t.Fatalf("tune.txt (%v):\n%s\nwant the threshold and the rule of three", err, table)
	}
	if leftovers, _ := filepath.Glob("/run/netns/drill-" + lab + "-*"); len(leftovers) > 0 {
		t.Fatalf("the runs' labs left network namespaces: %v", leftovers)
	}
}

// TestTuneInterrupted interrupts a search during its first run: that run
// stops as drill run stops (its report incomplete), no other run starts,
// tune.json holds the interrupted run and drill exits 1.
func TestTuneInterrupted(t *testing.T) {
	labtest.Require(t)
	lab := runLabName(t)
	dir := filepath.Join(t.TempDir(), "tune")
	cmd := exec.Command(drillBin, "tune", "--quiet", "--dir", dir, "--lab-name", lab,
		"--vary", "setup.preStopSleep=0s..12s", "--resolution", "3s", "--until", "status_5xx == 0",
		"testdata/tune-rolling-update.yaml")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(dir, "01-preStopSleep-0s")
	testenv.Eventually(t, 3*time.Minute, 200*time.Millisecond, "the first run's load", func() (bool, string) {
		st, err := os.Stat(filepath.Join(first, "results.bin"))
		if err != nil {
			return false, err.Error()
		}
		return st.Size() > 0, fmt.Sprintf("results.bin has %d bytes", st.Size())
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != report.ExitError {
		t.Fatalf("exit %d, want 1\n%s", code, stderr.String())
	}
	r, err := tune.Load(dir)
	if err != nil {
		t.Fatalf("no tune.json: %v\n%s", err, stderr.String())
	}
	if r.Outcome != tune.OutcomeInterrupted || len(r.Steps) != 1 || !r.Steps[0].Interrupted || r.ExitCode != report.ExitError {
		t.Fatalf("outcome %s, steps %+v, exit %d: want one interrupted run", r.Outcome, r.Steps, r.ExitCode)
	}
	rep, err := report.Load(first)
	if err != nil || !rep.Incomplete {
		t.Fatalf("the interrupted run's report %v (%v): want it incomplete", rep, err)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "02-*")); len(entries) > 0 {
		t.Fatalf("a second run started: %v", entries)
	}
	if leftovers, _ := filepath.Glob("/run/netns/drill-" + lab + "-*"); len(leftovers) > 0 {
		t.Fatalf("the interrupted run's lab left network namespaces: %v", leftovers)
	}
}
