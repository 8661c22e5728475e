package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtarget"
	"github.com/drillkit/drill/pkg/promexport"
	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/compare"
	"github.com/drillkit/drill/pkg/report/render"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

func runCmd(ctx context.Context, insist <-chan struct{}, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "runs", "directory under which each run gets its own directory")
	dir := fs.String("dir", "", "exact output directory of the run (one scenario only); refused if it exists and is not empty, unless --overwrite")
	overwrite := fs.Bool("overwrite", false, "with --dir: replace the run already in that directory")
	format := fs.String("o", render.FormatTable, "format of the summary printed at the end: table, md, json, junit, html")
	allowRemote := fs.Bool("allow-remote", false, "allow load to addresses other than loopback and the lab range (198.18.0.0/15)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	allowAnyNS := fs.Bool("allow-any-namespace", false, "let faults act in namespaces without the drill.dev/faults=allowed label (kube targets)")
	allowHostSysctl := fs.Bool("allow-host-sysctl", false, "let lab scenarios change host-wide settings they ask for (target.lab.hostConntrackMax), restored after the run")
	allowClusterChanges := fs.Bool("allow-cluster-changes", false, "let faults change cluster-wide components (kubeProxyMode: kube-proxy on every node), restored after the run")
	allowHuge := fs.Bool("allow-huge", false, allowHugeHelp)
	labName := fs.String("lab-name", run.RunLabName, "name of the lab a lab-target run brings up and tears down (target.lab.name opens a running one instead); give runs on one machine different names")
	requireChecks := fs.Bool("require-checks", false, "fail (exit 3) a run whose scenario has no checks, instead of ending it unjudged with exit 0")
	dryRun := fs.Bool("dry-run", false, "print what the run would do, the faults' API calls included, and change nothing")
	metricsListen := fs.String("metrics-listen", "", "serve live metrics in the Prometheus format at http://ADDR/metrics while the runs go on, e.g. 127.0.0.1:9464 (docs/metrics.md)")
	metricsAllowRemote := fs.Bool("metrics-allow-remote", false, "let --metrics-listen bind an address other than loopback (all interfaces with an empty host)")
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
	if err := lab.CheckName(*labName); err != nil {
		fmt.Fprintf(stderr, "drill run: --lab-name: %v\n", err)
		return report.ExitUsage
	}
	if *metricsListen != "" {
		if err := promexport.CheckAddr(*metricsListen, *metricsAllowRemote); err != nil {
			fmt.Fprintf(stderr, "drill run: --metrics-listen: %v\n", err)
			return report.ExitUsage
		}
	}
	// Every scenario is validated before any load starts.
	plans, ok := loadAll(files, scenario.Options{AllowHuge: *allowHuge}, stderr)
	if !ok {
		return report.ExitUsage
	}
	// From here on, nothing printed carries the scenarios' secrets.
	red := redact.New(run.Secrets(plans...)...)
	stdout, stderr = red.Writer(stdout), red.Writer(stderr)
	for _, plan := range plans {
		if err := run.CheckHostChanges(plan.Scenario, *allowHostSysctl); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
		if err := run.CheckClusterChanges(plan, *allowClusterChanges); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
	}
	if *dryRun {
		for _, plan := range plans {
			variants, err := plan.Variants()
			if err != nil {
				fmt.Fprintf(stderr, "drill run --dry-run: %v\n", err)
				return report.ExitUsage
			}
			if len(variants) == 0 {
				variants = []*run.Plan{plan}
			}
			for _, v := range variants {
				if v.Scenario.Variant != "" {
					fmt.Fprintf(stdout, "# matrix combination %s\n", v.Scenario.Variant)
				}
				if err := run.DryRun(ctx, v, run.Options{AllowAnyNamespace: *allowAnyNS, Lab: labtarget.Target{}, LabName: *labName}, stdout); err != nil {
					fmt.Fprintf(stderr, "drill run --dry-run: %v\n", err)
					return report.ExitError
				}
			}
		}
		return report.ExitOK
	}
	if *dir != "" {
		if err := run.ClaimDir(*dir, *overwrite); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
	}
	var live *promexport.Exporter
	if *metricsListen != "" {
		live = promexport.New()
		srv, err := promexport.Listen(*metricsListen, live)
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitError
		}
		fmt.Fprintf(stderr, "drill: serving metrics at %s\n", srv.URL())
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := srv.Close(cctx); err != nil {
				fmt.Fprintf(stderr, "drill run: %v\n", err)
			}
		}()
	}
	var progress io.Writer
	if !*quiet {
		progress = stderr
	}
	opts := run.Options{Version: version, AllowRemote: *allowRemote, AllowAnyNamespace: *allowAnyNS,
		AllowHostSysctl: *allowHostSysctl, AllowClusterChanges: *allowClusterChanges, RequireChecks: *requireChecks, Lab: labtarget.Target{}, LabName: *labName, Progress: progress, TTY: isTerminal(stderr), Insist: insist}
	var codes []int
	for _, plan := range plans {
		runDir := *dir
		if runDir == "" {
			runDir = newRunDir(*out, plan.Scenario.Metadata.Name, time.Now())
		}
		variants, err := plan.Variants()
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
		if len(variants) == 0 {
			codes = append(codes, runOne(ctx, plan, runDir, opts, live, *format, stdout, stderr))
		} else {
			codes = append(codes, runMatrix(ctx, variants, runDir, opts, live, *format, stdout, stderr))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return worst(codes)
}

// runOne runs one scenario (or one combination of its matrix) into runDir,
// with its live metrics in live (when not nil), prints its report and
// returns its exit code.
func runOne(ctx context.Context, plan *run.Plan, runDir string, opts run.Options, live *promexport.Exporter, format string, stdout, stderr io.Writer) int {
	sc := plan.Scenario
	name := sc.Metadata.Name
	if sc.Variant != "" {
		name += " [" + sc.Variant + "]"
	}
	fmt.Fprintf(stderr, "drill: running %s (%s) into %s\n", name, sc.File, runDir)
	opts.Dir = runDir
	if live != nil {
		opts.Observer = live.Observe(name)
	}
	r, err := run.Run(ctx, plan, opts)
	if r != nil {
		if rerr := render.Report(stdout, r, format); rerr != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", rerr)
		}
		if !errors.Is(err, run.ErrNoReport) {
			fmt.Fprintf(stderr, "drill: %s %s; report %s\n", name, r.Status, filepath.Join(runDir, report.FileName))
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "drill run: %s: %v\n", sc.File, err)
		var re *run.Error
		if errors.As(err, &re) {
			return re.Code
		}
		return report.ExitError
	}
	if r.Incomplete {
		fmt.Fprintf(stderr, "drill run: %s: incomplete: %s\n", name, r.IncompleteReason)
	}
	return r.ExitCode
}

// runMatrix runs every combination of a scenario's matrix, each into its
// own directory under runDir, then compares them with the first.
func runMatrix(ctx context.Context, variants []*run.Plan, runDir string, opts run.Options, live *promexport.Exporter, format string, stdout, stderr io.Writer) int {
	var codes []int
	var dirs []string
	for _, v := range variants {
		d := filepath.Join(runDir, variantDir(v.Scenario.Variant))
		codes = append(codes, runOne(ctx, v, d, opts, live, format, stdout, stderr))
		if _, err := os.Stat(filepath.Join(d, report.FileName)); err == nil {
			dirs = append(dirs, d)
		}
		if ctx.Err() != nil {
			return worst(codes)
		}
	}
	if len(dirs) < 2 {
		return worst(codes)
	}
	runs := make([]*report.Report, 0, len(dirs))
	started := dirs[:0]
	for _, d := range dirs {
		r, err := report.Load(d)
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitError
		}
		if r.Summary.Requests == 0 && r.Status == report.StatusError {
			continue // it did not start: nothing to compare
		}
		runs, started = append(runs, r), append(started, d)
	}
	if dirs = started; len(runs) < 2 {
		return worst(codes)
	}
	cmpFormat := format
	if cmpFormat == render.FormatJUnit {
		cmpFormat = render.FormatTable // a comparison has no JUnit form
	}
	fmt.Fprintf(stdout, "\nComparison of the matrix's %d runs with the first (drill compare %s):\n", len(runs), strings.Join(dirs, " "))
	if err := render.Comparison(stdout, compare.Runs(runs, compare.Options{Confidence: compare.DefaultConfidence}), cmpFormat); err != nil {
		fmt.Fprintf(stderr, "drill run: %v\n", err)
	}
	return worst(codes)
}

// variantDir names a combination's directory: "proxyMode=ipvs
// preStopSleep=15s" becomes "proxyMode-ipvs_preStopSleep-15s".
func variantDir(label string) string {
	return strings.NewReplacer(" ", "_", "=", "-", "/", "-").Replace(label)
}

// loadAll parses and validates every file, printing every problem of every
// file, and reports whether all are valid.
func loadAll(files []string, opts scenario.Options, stderr io.Writer) ([]*run.Plan, bool) {
	var out []*run.Plan
	ok := true
	for _, f := range files {
		sc, err := run.Prepare(f, opts)
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
	for _, v := range render.Formats {
		if v == f {
			return true
		}
	}
	return false
}

func isTerminal(w io.Writer) bool {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
