package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

func TestWriteLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := reporttest.Failed()
	path := filepath.Join(dir, report.FileName)
	if err := report.Write(path, want); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, dir} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			got, err := report.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			// Empty maps come back as nil, so compare what is stored.
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if !bytes.Equal(g, w) {
				t.Errorf("loaded report differs from the written one:\ngot  %s\nwant %s", g, w)
			}
			if !got.StartedAt.Equal(want.StartedAt) || got.Summary.Requests != want.Summary.Requests || len(got.Events) != len(want.Events) {
				t.Errorf("loaded report lost fields")
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Write, want only %s (no temp files left)", len(entries), report.FileName)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	first := reporttest.Failed()
	if err := report.Write(path, first); err != nil {
		t.Fatal(err)
	}
	second := reporttest.Failed()
	second.Variant = "preStopSleep=30s"
	if err := report.Write(path, second); err != nil {
		t.Fatal(err)
	}
	got, err := report.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Variant != "preStopSleep=30s" {
		t.Errorf("variant = %q, want the second write", got.Variant)
	}
}

func TestWriteSetsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	r := reporttest.Failed()
	r.Schema = ""
	if err := report.Write(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := report.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != report.Schema {
		t.Errorf("schema = %q, want %q", got.Schema, report.Schema)
	}
}

func TestWriteMissingDir(t *testing.T) {
	err := report.Write(filepath.Join(t.TempDir(), "nope", "r.json"), reporttest.Failed())
	if err == nil || !strings.Contains(err.Error(), "directory exists") {
		t.Errorf("err = %v, want one saying to check the directory", err)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"newer schema", `{"schema":"drill.report/v2"}`, `this drill reads "drill.report/v1"`},
		{"foreign schema", `{"schema":"k6/summary"}`, "not a drill report schema"},
		{"no schema", `{"requests":3}`, "not a drill report"},
		{"not json", `requests: 3`, "not valid JSON"},
		{"wrong type", `{"schema":"drill.report/v1","status":3}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := report.Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := report.Load(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("err = %v, want a does-not-exist message", err)
		}
	})
}

// The fixture runs encode exactly as their saved report files.
func TestEncodeGolden(t *testing.T) {
	for name, r := range reporttest.Named() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Encode(&buf, r); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, name+".json.golden", buf.Bytes())
		})
	}
}
