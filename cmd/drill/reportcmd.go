package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/echo"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/render"
	"github.com/drillkit/drill/pkg/run"
)

func newReportCmd(a *app) *cobra.Command {
	var (
		format, backend string
		fromResults     bool
	)
	cmd := &cobra.Command{
		Use:     "report [flags] RUN",
		Short:   "Re-render a saved run",
		Long:    "Re-renders a saved run (its directory or its report.json) offline.",
		Example: "  drill report runs/echo-steady-20260101-120000 -o md\n  drill report --from-results runs/a -o json",
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
		RunE: a.body(func(cmd *cobra.Command, pos []string) int {
			if len(pos) != 1 {
				return a.usage(cmd, "name one run (its directory or report.json)")
			}
			if !validFormat(format) {
				return a.usage(cmd, "-o %q: use one of %s", format, strings.Join(render.Formats, ", "))
			}
			return reportRun(pos[0], format, fromResults, backend, a.stdout, a.stderr)
		}),
	}
	fs := cmd.Flags()
	fs.StringVarP(&format, "output", "o", render.FormatTable, "output format: "+strings.Join(render.Formats, ", "))
	fs.BoolVar(&fromResults, "from-results", false, "recompute the metrics and checks from the run's raw results file")
	fs.StringVar(&backend, "backend-header", echo.DefaultBackendHeader, "with --from-results: response header naming the backend")
	_ = cmd.RegisterFlagCompletionFunc("output", completeWords(render.Formats...))
	return cmd
}

func reportRun(path, format string, fromResults bool, backend string, stdout, stderr io.Writer) int {
	r, err := report.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "drill report: %v\n", err)
		return report.ExitError
	}
	if fromResults {
		if err := reaggregate(r, path, backend, stderr); err != nil {
			fmt.Fprintf(stderr, "drill report: %v\n", err)
			return report.ExitError
		}
	}
	if err := render.Report(stdout, r, format); err != nil {
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
