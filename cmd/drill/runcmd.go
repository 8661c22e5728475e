package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
)

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "runs", "directory under which each run gets its own directory")
	dir := fs.String("dir", "", "exact output directory of the run (one scenario only)")
	format := fs.String("o", report.FormatTable, "format of the summary printed at the end: table, md, json, junit, html")
	allowRemote := fs.Bool("allow-remote", false, "allow load to addresses other than loopback and the lab range (198.18.0.0/15)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	allowAnyNS := fs.Bool("allow-any-namespace", false, "let faults act in namespaces without the drill.dev/faults=allowed label (kube targets)")
	allowHostSysctl := fs.Bool("allow-host-sysctl", false, "let lab scenarios change host-wide settings they ask for (target.lab.hostConntrackMax), restored after the run")
	dryRun := fs.Bool("dry-run", false, "print what the run would do, the faults' API calls included, and change nothing")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill run [flags] FILE...\n\nRuns each scenario and writes report.json and results.bin into a directory per run.\n\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	files := pos
	if len(files) == 0 {
		fs.Usage()
		return report.ExitUsage
	}
	if *dir != "" && len(files) > 1 {
		fmt.Fprintln(stderr, "drill run: --dir names one run's directory; use --out with several scenarios")
		return report.ExitUsage
	}
	if !validFormat(*format) {
		fmt.Fprintf(stderr, "drill run: -o %q: use one of table, md, json, junit, html\n", *format)
		return report.ExitUsage
	}
	// Every scenario is validated before any load starts.
	plans, ok := loadAll(files, stderr)
	if !ok {
		return report.ExitUsage
	}
	for _, plan := range plans {
		if err := run.CheckHostChanges(plan.Scenario, *allowHostSysctl); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
	}
	if *dryRun {
		for _, plan := range plans {
			if err := run.DryRun(ctx, plan, run.Options{AllowAnyNamespace: *allowAnyNS}, stdout); err != nil {
				fmt.Fprintf(stderr, "drill run --dry-run: %v\n", err)
				return report.ExitError
			}
		}
		return report.ExitOK
	}
	var progress io.Writer
	if !*quiet {
		progress = stderr
	}
	codes := make([]int, 0, len(plans))
	for _, plan := range plans {
		sc := plan.Scenario
		runDir := *dir
		if runDir == "" {
			runDir = newRunDir(*out, sc.Metadata.Name, time.Now())
		}
		fmt.Fprintf(stderr, "drill: running %s (%s) into %s\n", sc.Metadata.Name, sc.File, runDir)
		r, err := run.Run(ctx, plan, run.Options{
			Dir: runDir, Version: version, AllowRemote: *allowRemote, AllowAnyNamespace: *allowAnyNS,
			AllowHostSysctl: *allowHostSysctl,
			Progress:        progress, TTY: isTerminal(stderr),
		})
		if r != nil {
			if rerr := report.Render(stdout, r, *format); rerr != nil {
				fmt.Fprintf(stderr, "drill run: %v\n", rerr)
			}
			fmt.Fprintf(stderr, "drill: %s %s; report %s\n", sc.Metadata.Name, r.Status, filepath.Join(runDir, run.ReportFile))
		}
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %s: %v\n", sc.File, err)
			var re *run.Error
			if errors.As(err, &re) {
				codes = append(codes, re.Code)
			} else {
				codes = append(codes, report.ExitError)
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if r.Incomplete {
			fmt.Fprintf(stderr, "drill run: %s: incomplete: %s\n", sc.Metadata.Name, r.IncompleteReason)
		}
		codes = append(codes, r.ExitCode)
		if ctx.Err() != nil {
			break
		}
	}
	return worst(codes)
}

// loadAll parses and validates every file, printing every problem of every
// file, and reports whether all are valid.
func loadAll(files []string, stderr io.Writer) ([]*run.Plan, bool) {
	var out []*run.Plan
	ok := true
	for _, f := range files {
		sc, err := run.Prepare(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			ok = false
			continue
		}
		out = append(out, sc)
	}
	if !ok {
		fmt.Fprintln(stderr, "drill: nothing was run; fix the scenario (drill explain shows the schema)")
	}
	return out, ok
}

// worst folds the exit codes of several runs into one: a fault left behind
// beats a runtime error, which beats an abort, which beats failed checks.
func worst(codes []int) int {
	rank := map[int]int{report.ExitOK: 0, report.ExitChecksFailed: 1, report.ExitAborted: 2, report.ExitUsage: 3, report.ExitError: 4, report.ExitUnrecovered: 5}
	w := report.ExitOK
	for _, c := range codes {
		if rank[c] > rank[w] {
			w = c
		}
	}
	return w
}

// newRunDir returns a directory name under base for a new run of name.
func newRunDir(base, name string, now time.Time) string {
	dir := filepath.Join(base, name+"-"+now.Format("20060102-150405"))
	for i := 2; ; i++ {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return dir
		}
		dir = filepath.Join(base, fmt.Sprintf("%s-%s-%d", name, now.Format("20060102-150405"), i))
	}
}

func validFormat(f string) bool {
	for _, v := range report.Formats {
		if v == f {
			return true
		}
	}
	return false
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
