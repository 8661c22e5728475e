package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/olekukonko/tablewriter"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/echo"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/render"
	"github.com/drillkit/drill/pkg/run"
)

func reportCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("o", render.FormatTable, "output format: table, md, json, junit, html")
	fromResults := fs.Bool("from-results", false, "recompute the metrics and checks from the run's raw results file")
	backend := fs.String("backend-header", echo.DefaultBackendHeader, "with --from-results: response header naming the backend")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill report [flags] RUN\n\nRe-renders a saved run (its directory or its report.json) offline.\n\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return report.ExitUsage
	}
	if !validFormat(*format) {
		fmt.Fprintf(stderr, "drill report: -o %q: use one of table, md, json, junit, html\n", *format)
		return report.ExitUsage
	}
	r, err := report.Load(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "drill report: %v\n", err)
		return report.ExitError
	}
	if *fromResults {
		if err := reaggregate(r, pos[0], *backend, stderr); err != nil {
			fmt.Fprintf(stderr, "drill report: %v\n", err)
			return report.ExitError
		}
	}
	if err := render.Report(stdout, r, *format); err != nil {
		fmt.Fprintf(stderr, "drill report: %v\n", err)
		return report.ExitError
	}
	return report.ExitOK
}

// reaggregate recomputes r's summary, checks and score from its results
// file. A file cut in the middle of a result (drill killed while writing
// it) is read up to its last whole result; the report then says so.
func reaggregate(r *report.Report, path, backend string, stderr io.Writer) error {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	name := r.ResultsFile
	if name == "" {
		name = run.ResultsFile
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("results of %s: %w", path, err)
	}
	defer f.Close()
	err = run.ExplainFromResults(r, dir, f, metric.Options{Start: r.StartedAt, BackendHeader: backend})
	cut := errors.Is(err, io.ErrUnexpectedEOF)
	if cut {
		fmt.Fprintf(stderr, "drill report: %s: %v; using the results before the cut\n", name, err)
	} else if err != nil {
		return fmt.Errorf("results of %s: %w", path, err)
	}
	if err := run.Rejudge(r); err != nil {
		return err
	}
	if cut {
		r.Incomplete = true
		r.IncompleteReason = strings.TrimPrefix(r.IncompleteReason+"; ", "; ") + name + " is cut short after its last whole result"
	}
	return nil
}

func writeCatalog(w io.Writer) {
	t := tablewriter.NewWriter(w)
	t.Header("metric", "unit", "abortWhen", "meaning")
	for _, m := range check.Catalog() {
		live := ""
		if m.Live {
			live = "yes"
		}
		_ = t.Append(m.Name, m.Kind.String(), live, m.Help)
	}
	_ = t.Render()
	fmt.Fprintln(w, "status_NNN counts any status code, e.g. status_502. See docs/checks.md for the expression grammar.")
}
