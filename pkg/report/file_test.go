package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := fixtureReport()
	path := filepath.Join(dir, FileName)
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, dir} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			got, err := Load(p)
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
		t.Errorf("directory holds %d entries after Write, want only %s (no temp files left)", len(entries), FileName)
	}
}

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	first := fixtureReport()
	if err := Write(path, first); err != nil {
		t.Fatal(err)
	}
	second := fixtureReport()
	second.Variant = "preStopSleep=30s"
	if err := Write(path, second); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Variant != "preStopSleep=30s" {
		t.Errorf("variant = %q, want the second write", got.Variant)
	}
}

func TestWriteSetsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	r := fixtureReport()
	r.Schema = ""
	if err := Write(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != Schema {
		t.Errorf("schema = %q, want %q", got.Schema, Schema)
	}
}

func TestWriteMissingDir(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "nope", "r.json"), fixtureReport())
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
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := Load(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("err = %v, want a does-not-exist message", err)
		}
	})
}

func TestJUnitIsWellFormed(t *testing.T) {
	r := fixtureReport()
	r.Status = StatusError
	r.IncompleteReason = "lab setup failed: etcd did not start"
	var buf bytes.Buffer
	if err := Render(&buf, r, FormatJUnit); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit output does not parse: %v", err)
	}
	if doc.Tests != 5 || doc.Failures != 3 || doc.Errors != 1 {
		t.Errorf("tests/failures/errors = %d/%d/%d, want 5/3/1", doc.Tests, doc.Failures, doc.Errors)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("suites = %d, want 1", len(doc.Suites))
	}
	run := doc.Suites[0].Cases[0]
	if run.Error == nil || run.Error.Message != r.IncompleteReason {
		t.Errorf("run testcase = %+v, want an error with the reason", run)
	}
	if c := doc.Suites[0].Cases[1]; c.Name != "success_rate >= 99.9%" || c.Failure == nil {
		t.Errorf("first check testcase = %+v, want the failed success_rate check", c)
	}
}
