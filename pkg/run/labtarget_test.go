package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/scenario"
)

// TestLabScenarioWithoutALab: without Options.Lab, a lab scenario's run and
// dry run fail saying that the build has no lab, and the run leaves its
// error report.
func TestLabScenarioWithoutALab(t *testing.T) {
	dir := t.TempDir()
	manifest, _ := filepath.Abs("testdata/web.yaml")
	file := filepath.Join(dir, "s.yaml")
	body := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: lab}\nsetup: [" + manifest + "]\nload: {rate: 1/s, duration: 2s}\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := Prepare(file, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	r, err := Run(context.Background(), plan, Options{Dir: runDir, Version: "test"})
	var re *Error
	if !errors.As(err, &re) || re.Code != report.ExitError || !errors.Is(err, errNoLab) || !strings.Contains(err.Error(), "this build has no lab") {
		t.Fatalf("run without a lab: %v, want exit %d and %q", err, report.ExitError, errNoLab)
	}
	if r == nil || r.Status != report.StatusError || !strings.Contains(r.IncompleteReason, "this build has no lab") {
		t.Fatalf("report of the run without a lab: %+v, want status error saying why", r)
	}
	if _, err := report.Load(filepath.Join(runDir, report.FileName)); err != nil {
		t.Fatalf("the run without a lab must leave its report: %v", err)
	}
	var out bytes.Buffer
	if err := DryRun(context.Background(), plan, Options{}, &out); !errors.Is(err, errNoLab) {
		t.Fatalf("dry run without a lab: %v, want %q", err, errNoLab)
	}
}
