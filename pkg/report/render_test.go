package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./pkg/report -update to create it", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./pkg/report -update rewrites it); got:\n%s", path, got)
	}
}

func TestRenderGolden(t *testing.T) {
	aborted := fixtureReport()
	aborted.Status = StatusAborted
	aborted.ExitCode = ExitAborted
	aborted.Incomplete = true
	aborted.IncompleteReason = "stopped at t=36s of 60s"
	aborted.Abort = &AbortResult{Expr: "error_rate > 20% for 5s", AtT: 36, Message: "error_rate was 30.000% from t=31s"}

	clean := fixtureReport()
	clean.Summary = fixtureSummary(0, 0, 0, 1)
	clean.Checks = clean.Checks[1:2]
	clean.Events = nil
	clean.Status = StatusPassed
	clean.ExitCode = ExitOK
	clean.Score = ScoreRun(clean.Summary, clean.Checks)

	reports := map[string]*Report{"failed": fixtureReport(), "aborted": aborted, "passed": clean}
	for _, name := range []string{"failed", "aborted", "passed"} {
		for _, format := range Formats {
			t.Run(name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, reports[name], format); err != nil {
					t.Fatal(err)
				}
				ext := map[string]string{FormatTable: "txt", FormatMarkdown: "md", FormatJSON: "json", FormatJUnit: "xml"}[format]
				golden(t, name+"."+ext+".golden", buf.Bytes())
			})
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, fixtureReport(), "html")
	if err == nil || !strings.Contains(err.Error(), "table, md, json, junit") {
		t.Errorf("err = %v, want one listing the formats", err)
	}
}
