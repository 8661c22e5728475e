package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the name of the report inside a run directory.
const FileName = "report.json"

// Write stores r as indented JSON at path, atomically: the JSON goes to a
// temporary file in the same directory, is synced, and is renamed over path,
// so a reader never sees half a report. An empty Schema is set to Schema.
// Credentials are left out (see Report.Redactor).
func Write(path string, r *Report) error {
	if r.Schema == "" {
		r.Schema = Schema
	}
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	data := r.Redactor.Bytes(buf.Bytes())
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write report %s: %w; check that the directory exists and is writable", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write report %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	done = true
	// Sync the directory so the rename itself survives a crash.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Load reads a report. path is either a report file or a run directory
// holding report.json. Reports of another schema version are rejected with a
// message saying which version this drill reads.
func Load(path string) (*Report, error) {
	file := path
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		file = filepath.Join(path, FileName)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, perr := os.Stat(filepath.Join(path, PooledFileName)); perr == nil && file != path {
				return nil, fmt.Errorf("load report: %s is a repeated run: its trials are in %s, ..., pooled in %s", path, TrialDir(1), filepath.Join(path, PooledFileName))
			}
			return nil, fmt.Errorf("load report: %s does not exist; pass a run directory (holding %s) or a report file", file, FileName)
		}
		return nil, fmt.Errorf("load report: %w", err)
	}
	return Decode(data, file)
}

// Decode parses a report from JSON; name is used in error messages.
func Decode(data []byte, name string) (*Report, error) {
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("load report %s: not valid JSON: %w", name, err)
	}
	switch {
	case head.Schema == nil:
		return nil, fmt.Errorf("load report %s: no \"schema\" field; this is not a drill report (expected schema %q)", name, Schema)
	case *head.Schema == Schema:
	case strings.HasPrefix(*head.Schema, "drill.report/"):
		return nil, fmt.Errorf("load report %s: schema %q is not supported; this drill reads %q: use the drill version that wrote the report", name, *head.Schema, Schema)
	default:
		return nil, fmt.Errorf("load report %s: schema %q is not a drill report schema (expected %q)", name, *head.Schema, Schema)
	}
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("load report %s: %w", name, err)
	}
	return &r, nil
}

// Encode writes r as the indented JSON of a report file, as it is:
// credentials are left for the caller to remove (see Report.Redactor).
func Encode(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalized(r)); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// normalized returns r with empty lists instead of nil ones, so the JSON
// always has arrays where consumers (jq, dashboards) expect them.
func normalized(r *Report) *Report {
	c := *r
	if c.Schema == "" {
		c.Schema = Schema
	}
	if c.Checks == nil {
		c.Checks = []CheckResult{}
	}
	if c.Events == nil {
		c.Events = []Event{}
	}
	if c.Score.Components == nil {
		c.Score.Components = []Component{}
	}
	return &c
}
