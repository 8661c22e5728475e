package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Files a search writes into its directory.
const (
	FileName  = "tune.json"
	TableName = "tune.txt"
)

// Write writes r as tune.json and its table as tune.txt into dir, each
// replaced whole (a temporary file renamed), so that a search stopped at
// any point leaves both readable.
func Write(dir string, r *Result) error {
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write %s: %w", FileName, err)
	}
	var txt bytes.Buffer
	if err := Render(&txt, r); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write tune result: %w", err)
	}
	if err := replace(filepath.Join(dir, FileName), js.Bytes()); err != nil {
		return err
	}
	return replace(filepath.Join(dir, TableName), txt.Bytes())
}

func replace(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Load reads a tune.json, from its directory or its path.
func Load(path string) (*Result, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, FileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tune result: %w", err)
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("load tune result %s: %w", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("load tune result %s: schema %q, want %q", path, r.Schema, Schema)
	}
	return &r, nil
}

// Render writes the search as a table of its runs followed by its outcome
// and confidence statements.
func Render(w io.Writer, r *Result) error {
	fmt.Fprintf(w, "drill tune %s: %s=%s..%s, resolution %s, until %s\n\n",
		r.Scenario, r.Variable, r.Low, r.High, r.Resolution, strings.Join(r.Condition, " and "))
	tb := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithAlignment(tw.Alignment{tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft}),
	)
	tb.Header("run", "value", "requests", "failed", "condition", "checks", "directory")
	for _, s := range r.Steps {
		value := s.Value
		if r.Repeat > 1 {
			value += " #" + strconv.Itoa(s.Repeat)
		}
		if err := tb.Append(strconv.Itoa(s.Run), value, strconv.FormatUint(s.Requests, 10), strconv.FormatUint(s.Failures, 10),
			verdict(s), checks(s), s.Dir); err != nil {
			return fmt.Errorf("render tune table: %w", err)
		}
	}
	if err := tb.Render(); err != nil {
		return fmt.Errorf("render tune table: %w", err)
	}
	fmt.Fprintf(w, "\nOutcome: %s\n", r.Outcome)
	for _, c := range r.Confidence {
		fmt.Fprintf(w, "- %s\n", c)
	}
	return nil
}

func verdict(s Step) string {
	switch {
	case s.Interrupted:
		return "interrupted"
	case s.Error != "":
		return "error"
	case s.Held:
		return "held"
	}
	return "failed"
}

// checks lists the condition's checks with the values measured, the
// failed ones marked.
func checks(s Step) string {
	var out []string
	for _, c := range s.Checks {
		v := c.Expr
		if c.Actual != "" {
			v += " (" + c.Actual + ")"
		}
		if !c.Passed {
			v = "✗ " + v
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}
