package advise

import (
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteTable writes the findings as a table, the evidence of each rule that
// fired below it, and a count.
func WriteTable(w io.Writer, fs []Finding) error {
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "no findings")
		return err
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(60),
	)
	t.Header("level", "rule", "object", "at", "reason", "fix")
	for _, f := range fs {
		at := f.Object.File
		if f.Object.Line > 0 {
			at += ":" + strconv.Itoa(f.Object.Line)
		}
		if err := t.Append(string(f.Level), f.Rule, f.Object.String(), at, f.Reason, f.Fix); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			fmt.Fprintf(w, "%s: %s\n", f.Rule, f.Evidence)
		}
	}
	c := count(fs)
	_, err := fmt.Fprintf(w, "%d errors, %d warnings, %d info (rules and sources: drill advise --rules, docs/advise.md)\n", c[LevelError], c[LevelWarning], c[LevelInfo])
	return err
}

// count counts the findings by level.
func count(fs []Finding) map[Level]int {
	c := map[Level]int{LevelError: 0, LevelWarning: 0, LevelInfo: 0}
	for _, f := range fs {
		c[f.Level]++
	}
	return c
}

// WriteRules lists the rules as a table.
func WriteRules(w io.Writer) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(70),
	)
	t.Header("rule", "level", "flags", "evidence")
	for _, r := range Rules() {
		if err := t.Append(r.ID, string(r.Level), r.Summary, r.Evidence); err != nil {
			return err
		}
	}
	return t.Render()
}
