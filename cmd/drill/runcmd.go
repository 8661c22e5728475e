package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/drillkit/drill/pkg/cluster"
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

// runFlags are drill run's flags.
type runFlags struct {
	out, dir, format, labName, metricsListen                                 string
	overwrite, allowRemote, quiet, allowAnyNS, allowHostSysctl, allowCluster bool
	allowHuge, requireChecks, dryRun, metricsAllowRemote                     bool
	remoteWrite                                                              string
	remoteWriteInterval                                                      time.Duration
	remoteWriteAllowRemote                                                   bool
	cluster                                                                  cluster.Selection
	sets                                                                     []string
	repeat                                                                   int
}

func (f *runFlags) register(cmd *cobra.Command) {
	f.registerOutput(cmd)
	fs := cmd.Flags()
	fs.BoolVar(&f.allowAnyNS, "allow-any-namespace", false, "let faults act in namespaces without the drill.dev/faults=allowed label (kube targets)")
	fs.BoolVar(&f.allowHostSysctl, "allow-host-sysctl", false, "let lab scenarios change host-wide settings they ask for (target.lab.hostConntrackMax), restored after the run")
	fs.BoolVar(&f.allowCluster, "allow-cluster-changes", false, "let faults change cluster-wide components (kubeProxyMode: kube-proxy on every node), restored after the run")
	fs.StringVar(&f.labName, "lab-name", run.RunLabName, "name of the lab a lab-target run brings up and tears down (target.lab.name opens a running one instead); give runs on one machine different names")
	fs.StringArrayVar(&f.sets, "set", nil, setHelp)
	fs.IntVar(&f.repeat, "repeat", 0, repeatHelp)
	fs.StringVar(&f.remoteWrite, "remote-write", "", "push the live metrics to a Prometheus Remote-Write 1.0 endpoint while the runs go on and once at the end of each, e.g. http://127.0.0.1:9090/api/v1/write (docs/metrics.md)")
	fs.DurationVar(&f.remoteWriteInterval, "remote-write-interval", promexport.DefaultPushInterval, "how often --remote-write pushes")
	fs.BoolVar(&f.remoteWriteAllowRemote, "remote-write-allow-remote", false, "let --remote-write push to addresses other than loopback and the lab range (198.18.0.0/15)")
	bindClusterFlags(fs, &f.cluster, "; overrides target.kube.")
	_ = cmd.MarkFlagFilename("kubeconfig")
}

// registerOutput registers the flags of where a run goes and what it may
// do, which drill attack shares.
func (f *runFlags) registerOutput(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.out, "out", "runs", "directory under which each run gets its own directory")
	fs.StringVar(&f.dir, "dir", "", "exact output directory of the run (one scenario only); refused if it exists and is not empty, unless --overwrite")
	fs.BoolVar(&f.overwrite, "overwrite", false, "with --dir: replace the run already in that directory")
	fs.StringVarP(&f.format, "output", "o", render.FormatTable, "format of the summary printed at the end: "+strings.Join(render.Formats, ", "))
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow load to addresses other than loopback and the lab range (198.18.0.0/15)")
	fs.BoolVar(&f.quiet, "quiet", false, "no live progress line")
	fs.BoolVar(&f.allowHuge, "allow-huge", false, allowHugeHelp)
	fs.BoolVar(&f.requireChecks, "require-checks", false, "fail (exit 3) a run whose scenario has no checks, instead of ending it unjudged with exit 0")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what the run would do, the faults' API calls included, and change nothing")
	fs.StringVar(&f.metricsListen, "metrics-listen", "", "serve live metrics in the Prometheus format at http://ADDR/metrics while the runs go on, e.g. 127.0.0.1:9464 (docs/metrics.md)")
	fs.BoolVar(&f.metricsAllowRemote, "metrics-allow-remote", false, "let --metrics-listen bind an address other than loopback (all interfaces with an empty host)")
	_ = cmd.RegisterFlagCompletionFunc("output", completeWords(render.Formats...))
	_ = cmd.MarkFlagDirname("out")
	_ = cmd.MarkFlagDirname("dir")
}

func newRunCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] FILE...",
		Short: "Run scenarios and write a scored report per run",
		Long: `Runs each scenario and writes report.json and results.bin into a directory per run.
Every file is validated before any load starts; a scenario with a matrix runs every
combination and compares them.`,
		Example: `  drill run scenarios/echo-steady.yaml
  drill run --dir runs/a -o md scenarios/rolling-update-prestop.yaml
  drill run --dry-run scenarios/rolling-update-prestop.yaml`,
		ValidArgsFunction: completeFiles("yaml", "yml"),
		RunE: a.body(func(cmd *cobra.Command, files []string) int {
			if len(files) == 0 {
				return a.usage(cmd, "name at least one scenario file")
			}
			return runFiles(cmd.Context(), a, cmd, files, f)
		}),
	}
	f.register(cmd)
	return cmd
}

// runFiles is drill run's body once its flags are parsed.
func runFiles(ctx context.Context, a *app, cmd *cobra.Command, files []string, f runFlags) int {
	if f.dir != "" && len(files) > 1 {
		return a.usage(cmd, "--dir names one run's directory; use --out with several scenarios")
	}
	if code := checkRunFlags(a, cmd, f); code != report.ExitOK {
		return code
	}
	// Every scenario is validated before any load starts.
	sets, err := parseSets(f.sets)
	if err != nil {
		return a.usage(cmd, "%v", err)
	}
	if cmd.Flags().Changed("repeat") {
		s, err := repeatSet(f.repeat)
		if err != nil {
			return a.usage(cmd, "%v", err)
		}
		sets = append(sets, s)
	}
	plans, ok := loadAll(files, scenario.Options{AllowHuge: f.allowHuge, Set: sets}, a.stderr)
	if !ok {
		return report.ExitUsage
	}
	return runPlans(ctx, a, cmd, plans, f)
}

// checkRunFlags checks the flags of drill run that need no scenario.
func checkRunFlags(a *app, cmd *cobra.Command, f runFlags) int {
	format := &f.format
	if !validFormat(*format) {
		return a.usage(cmd, "-o %q: use one of %s", *format, strings.Join(render.Formats, ", "))
	}
	if err := lab.CheckName(f.labName); err != nil {
		return a.usage(cmd, "--lab-name: %v", err)
	}
	if f.metricsListen != "" {
		if err := promexport.CheckAddr(f.metricsListen, f.metricsAllowRemote); err != nil {
			return a.usage(cmd, "--metrics-listen: %v", err)
		}
	}
	if f.remoteWrite != "" {
		if err := promexport.CheckRemoteWriteURL(context.Background(), f.remoteWrite, f.remoteWriteAllowRemote); err != nil {
			return a.usage(cmd, "--remote-write: %v", err)
		}
		if f.remoteWriteInterval <= 0 {
			return a.usage(cmd, "--remote-write-interval %s: give a positive duration, e.g. 5s", f.remoteWriteInterval)
		}
	}
	if err := checkSelection(f.cluster); err != nil {
		return a.usage(cmd, "%v", err)
	}
	return report.ExitOK
}

// runPlans runs validated plans, each into its own directory, and returns
// the most severe of their exit codes.
func runPlans(ctx context.Context, a *app, cmd *cobra.Command, plans []*run.Plan, f runFlags) int {
	stdout, stderr, insist := a.stdout, a.stderr, a.insist
	dir, format := &f.dir, &f.format
	if !f.cluster.IsZero() {
		for _, plan := range plans {
			if k := plan.Scenario.Target.Kind(); k != scenario.TargetKube {
				return a.usage(cmd, "%s select a cluster for target.kube; %s has a %s target", selectionFlags(f.cluster), plan.Scenario.File, k)
			}
		}
	}
	// From here on, nothing printed carries the scenarios' secrets.
	red := redact.New(run.Secrets(plans...)...)
	stdout, stderr = red.Writer(stdout), red.Writer(stderr)
	for _, plan := range plans {
		if err := run.CheckHostChanges(plan.Scenario, f.allowHostSysctl); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
		if err := run.CheckClusterChanges(plan, f.allowCluster); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
	}
	if f.dryRun {
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
				if n := v.Scenario.Repeat; n > 1 {
					fmt.Fprintf(stdout, "# %d trials, each into trial-1 to trial-%d, pooled into %s\n", n, n, report.PooledFileName)
				}
				if err := run.DryRun(ctx, v, run.Options{AllowAnyNamespace: f.allowAnyNS, Cluster: f.cluster, Lab: labtarget.Target{}, LabName: f.labName}, stdout); err != nil {
					fmt.Fprintf(stderr, "drill run --dry-run: %v\n", err)
					return report.ExitError
				}
			}
		}
		return report.ExitOK
	}
	if *dir != "" {
		if err := run.ClaimDir(*dir, f.overwrite); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
	}
	live, code := startLiveMetrics(f, stderr)
	if code != report.ExitOK {
		return code
	}
	defer live.close(ctx, stderr)
	var progress io.Writer
	if !f.quiet {
		progress = stderr
	}
	opts := run.Options{Version: buildVersion().Short(), AllowRemote: f.allowRemote, AllowAnyNamespace: f.allowAnyNS,
		AllowHostSysctl: f.allowHostSysctl, AllowClusterChanges: f.allowCluster, Cluster: f.cluster, RequireChecks: f.requireChecks, Lab: labtarget.Target{}, LabName: f.labName, Progress: progress, TTY: isTerminal(stderr), Insist: insist}
	var codes []int
	for _, plan := range plans {
		runDir := *dir
		if runDir == "" {
			runDir = newRunDir(f.out, plan.Scenario.Metadata.Name, time.Now())
		}
		variants, err := plan.Variants()
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return report.ExitUsage
		}
		if len(variants) == 0 {
			codes = append(codes, runCombination(ctx, plan, runDir, opts, live, *format, stdout, stderr))
		} else {
			codes = append(codes, runMatrix(ctx, variants, runDir, opts, live, *format, stdout, stderr))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return worst(codes)
}

// runOne runs one scenario (or one combination of its matrix, or one trial
// of either, named by trial) into runDir, with its live metrics in live
// (when not nil), prints its report and returns its exit code.
func runOne(ctx context.Context, plan *run.Plan, runDir, trial string, opts run.Options, live *liveMetrics, format string, stdout, stderr io.Writer) int {
	sc := plan.Scenario
	name := sc.Metadata.Name
	if sc.Variant != "" {
		name += " [" + sc.Variant + "]"
	}
	if live != nil {
		opts.Observer = live.exp.Observe(name) // the trials of a combination share its series
	}
	if trial != "" {
		name += " " + trial
	}
	fmt.Fprintf(stderr, "drill: running %s (%s) into %s\n", name, sc.File, runDir)
	opts.Dir = runDir
	pushed := live.pushStats()
	r, err := run.Run(ctx, plan, opts)
	live.runEnded(ctx, r, err, runDir, pushed, stderr)
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
// own directory under runDir (its trials under that), then compares them
// with the first, trials pooled.
func runMatrix(ctx context.Context, variants []*run.Plan, runDir string, opts run.Options, live *liveMetrics, format string, stdout, stderr io.Writer) int {
	var codes []int
	var dirs []string
	for _, v := range variants {
		d := filepath.Join(runDir, variantDir(v.Scenario.Variant))
		codes = append(codes, runCombination(ctx, v, d, opts, live, format, stdout, stderr))
		if ranIn(d) {
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
		r, err := report.LoadRun(d)
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

// ranIn reports whether a combination's directory holds its report, or
// its trials' pooled one.
func ranIn(dir string) bool {
	for _, name := range []string{report.FileName, report.PooledFileName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// variantDir names a combination's directory: "proxyMode=ipvs
// preStopSleep=15s" becomes "proxyMode-ipvs_preStopSleep-15s".
func variantDir(label string) string {
	return strings.NewReplacer(" ", "_", "=", "-", "/", "-").Replace(label)
}

// setHelp describes --set, shared by run and validate.
const setHelp = "override a scenario field, PATH=VALUE with a YAML value (repeatable), e.g. --set load.rate=500/s --set load.duration=2m; checked like the file"

func parseSets(in []string) ([]scenario.Set, error) {
	var out []scenario.Set
	for _, s := range in {
		x, err := scenario.ParseSet(s)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
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

// worst folds the exit codes of several runs into one (report.WorstExit).
func worst(codes []int) int { return report.WorstExit(codes...) }

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
