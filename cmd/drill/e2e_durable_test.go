package main

import (
	"encoding/xml"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// TestExistingDirRefusedUnlessOverwrite runs twice into the same --dir: the
// second run is refused (exit 2, the directory and --overwrite named) and
// leaves the first run's report as it was; with --overwrite it replaces it.
func TestExistingDirRefusedUnlessOverwrite(t *testing.T) {
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 1s}", "")
	res, first, dir := runScenario(t, file)
	if res.code != report.ExitOK {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	again := drill(t, "run", "--quiet", "--dir", dir, file)
	if again.code != report.ExitUsage {
		t.Fatalf("second run into %s: exit %d, want %d\n%s", dir, again.code, report.ExitUsage, again.stderr)
	}
	if !strings.Contains(again.stderr, dir) || !strings.Contains(again.stderr, "--overwrite") {
		t.Errorf("refusal does not name the directory and --overwrite: %s", again.stderr)
	}
	if r, err := report.Load(dir); err != nil || !r.StartedAt.Equal(first.StartedAt) {
		t.Fatalf("refused run changed the first report (err %v)", err)
	}
	over := drill(t, "run", "--quiet", "--overwrite", "--dir", dir, file)
	if over.code != report.ExitOK {
		t.Fatalf("run with --overwrite: exit %d\n%s", over.code, over.stderr)
	}
	r, err := report.Load(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.StartedAt.After(first.StartedAt) {
		t.Errorf("--overwrite kept the old report (started %s, first %s)", r.StartedAt, first.StartedAt)
	}
}

// TestUnreachableTargetLeavesErrorReport runs against a loopback port
// nothing listens on: exit 1, and the run directory still holds a report
// with status error and the reason, which renders as JUnit with an erroring
// "run" testcase and the check failing for want of data.
func TestUnreachableTargetLeavesErrorReport(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	file := scenarioFile(t, url, "{rate: 10/s, duration: 1s}", "checks: [\"success_rate >= 99%\"]\n")
	res, r, dir := runScenario(t, file)
	if res.code != report.ExitError {
		t.Fatalf("exit %d, want %d\n%s", res.code, report.ExitError, res.stderr)
	}
	if r.Status != report.StatusError || !r.Incomplete || !strings.Contains(r.IncompleteReason, "refused") || r.ExitCode != report.ExitError {
		t.Errorf("report: status %s incomplete %v reason %q exit %d; want error, incomplete, the refusal, %d", r.Status, r.Incomplete, r.IncompleteReason, r.ExitCode, report.ExitError)
	}
	if len(r.Checks) != 1 || r.Checks[0].Passed || !r.Checks[0].NoData {
		t.Errorf("checks %+v: want the one check, not passed, no data", r.Checks)
	}
	out := drill(t, "report", dir, "-o", "junit")
	if out.code != report.ExitOK {
		t.Fatalf("drill report -o junit: exit %d: %s", out.code, out.stderr)
	}
	var suites struct {
		Errors   int `xml:"errors,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name  string `xml:"name,attr"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out.stdout), &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, out.stdout)
	}
	if suites.Errors != 1 || suites.Failures != 1 || len(suites.Suites) != 1 {
		t.Fatalf("junit: %d errors, %d failures; want 1 and 1\n%s", suites.Errors, suites.Failures, out.stdout)
	}
	if c := suites.Suites[0].Cases[0]; c.Name != "run" || c.Error == nil || !strings.Contains(c.Error.Message, "refused") {
		t.Errorf("junit's first testcase %+v: want run, erroring with the refusal", c)
	}
}
