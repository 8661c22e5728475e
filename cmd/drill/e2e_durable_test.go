package main

import (
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
