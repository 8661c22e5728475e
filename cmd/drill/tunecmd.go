package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtarget"
	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
	"github.com/drillkit/drill/pkg/tune"
)

// tuneFlags are drill tune's flags.
type tuneFlags struct {
	vary, resolution, out, dir, format, labName                              string
	until, sets                                                              []string
	repeat, maxRuns                                                          int
	overwrite, quiet, allowRemote, allowAnyNS, allowHostSysctl, allowCluster bool
	allowHuge                                                                bool
	cluster                                                                  cluster.Selection
}

// Output formats of drill tune.
const (
	tuneTable = "table"
	tuneJSON  = "json"
)

func (f *tuneFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.vary, "vary", "", "the variable to search and its range, VARIABLE=LOW..HIGH, e.g. setup.preStopSleep=0s..60s; one of "+strings.Join(scenario.OrderedVars(), ", "))
	fs.StringArrayVar(&f.until, "until", nil, "a check every run of a value must pass, in the checks' syntax, e.g. 'status_5xx == 0' (repeatable; replaces the scenario's checks; default: the scenario's checks)")
	fs.StringVar(&f.resolution, "resolution", "", "how narrow the bracket [last failing, first passing] gets (default one unit: 1s, or 1)")
	fs.IntVar(&f.maxRuns, "max-runs", tune.DefaultMaxRuns, "the most runs the search makes; it ends with the bracket reached")
	fs.IntVar(&f.repeat, "repeat-per-step", tune.DefaultRepeat, "runs of each value; a value holds only if every one of them passes")
	fs.StringVar(&f.out, "out", "runs", "directory under which the search gets its own directory")
	fs.StringVar(&f.dir, "dir", "", "exact directory of the search (tune.json, tune.txt and a directory per run); refused if it exists and is not empty, unless --overwrite")
	fs.BoolVar(&f.overwrite, "overwrite", false, "with --dir: replace the search already in that directory")
	fs.StringVarP(&f.format, "output", "o", tuneTable, "format of the result printed at the end: table, json")
	fs.BoolVar(&f.quiet, "quiet", false, "no live progress line during the runs")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow load to addresses other than loopback and the lab range (198.18.0.0/15)")
	fs.BoolVar(&f.allowAnyNS, "allow-any-namespace", false, "let faults act in namespaces without the drill.dev/faults=allowed label (kube targets)")
	fs.BoolVar(&f.allowHostSysctl, "allow-host-sysctl", false, "let lab scenarios change host-wide settings they ask for (target.lab.hostConntrackMax), restored after each run")
	fs.BoolVar(&f.allowCluster, "allow-cluster-changes", false, "let faults change cluster-wide components (kubeProxyMode), restored after each run")
	fs.BoolVar(&f.allowHuge, "allow-huge", false, allowHugeHelp)
	fs.StringVar(&f.labName, "lab-name", run.RunLabName, "name of the lab each lab-target run brings up and tears down")
	fs.StringArrayVar(&f.sets, "set", nil, setHelp)
	bindClusterFlags(fs, &f.cluster, "; overrides target.kube.")
	_ = cmd.MarkFlagRequired("vary")
	_ = cmd.MarkFlagFilename("kubeconfig")
	_ = cmd.RegisterFlagCompletionFunc("vary", completeWords(scenario.OrderedVars()...))
	_ = cmd.RegisterFlagCompletionFunc("output", completeWords(tuneTable, tuneJSON))
	_ = cmd.MarkFlagDirname("out")
	_ = cmd.MarkFlagDirname("dir")
}

func newTuneCmd(a *app) *cobra.Command {
	var f tuneFlags
	cmd := &cobra.Command{
		Use:   "tune [flags] --vary VARIABLE=LOW..HIGH FILE",
		Short: "Find the smallest value of a setting for which the checks hold",
		Long: `Bisects a scenario variable over real runs for the smallest value for which the
condition holds (--until, or the scenario's checks): the low end first (if it
holds, every value does), then the high end (if it fails, none does), then the
middle of the bracket [last failing, first passing] until it is as narrow as
--resolution. Each run gets a directory in the search's; tune.json and tune.txt
hold every run's evidence and a confidence statement.

Exit codes: 0 a value holds, 3 no value of the range holds, 1 a run could not be
carried out or the search was interrupted (the runs so far are written), 2 bad
input (nothing is run), 5 a run left something behind.`,
		Example: `  drill tune scenarios/rolling-update-no-prestop.yaml --vary setup.preStopSleep=0s..60s --until 'status_5xx == 0'
  drill tune s.yaml --vary setup.deregistrationDelay=0s..300s --resolution 10s
  drill tune s.yaml --vary setup.terminationGracePeriodSeconds=0..60 --repeat-per-step 3`,
		ValidArgsFunction: completeFiles("yaml", "yml"),
		RunE: a.body(func(cmd *cobra.Command, files []string) int {
			if len(files) != 1 {
				return a.usage(cmd, "name one scenario file")
			}
			return tuneFile(cmd.Context(), a, cmd, files[0], f)
		}),
	}
	f.register(cmd)
	return cmd
}

// tuneFile is drill tune's body once its flags are parsed: every input is
// checked before the first run.
func tuneFile(ctx context.Context, a *app, cmd *cobra.Command, file string, f tuneFlags) int {
	stdout, stderr := a.stdout, a.stderr
	var problems []string
	rg, err := tune.ParseRange(f.vary, f.resolution)
	if err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	for _, u := range f.until {
		if _, err := check.Parse(u); err != nil {
			problems = append(problems, fmt.Sprintf("--until %q: %v", u, err))
		}
	}
	if f.repeat < 1 {
		problems = append(problems, fmt.Sprintf("--repeat-per-step %d: at least 1", f.repeat))
	}
	if f.repeat >= 1 && f.maxRuns < 2*f.repeat {
		problems = append(problems, fmt.Sprintf("--max-runs %d: at least %d, to run both ends of the range %d times each", f.maxRuns, 2*f.repeat, f.repeat))
	}
	if f.format != tuneTable && f.format != tuneJSON {
		problems = append(problems, fmt.Sprintf("-o %q: use table or json", f.format))
	}
	if err := lab.CheckName(f.labName); err != nil {
		problems = append(problems, fmt.Sprintf("--lab-name: %v", err))
	}
	if err := checkSelection(f.cluster); err != nil {
		problems = append(problems, err.Error())
	}
	sets, err := parseSets(f.sets)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return a.usage(cmd, "%s", strings.Join(problems, "\n"+cmd.CommandPath()+": "))
	}
	tr := &tuneRunner{file: file, rng: rg, until: f.until, opts: scenario.Options{AllowHuge: f.allowHuge, Set: sets}}
	base, err := run.Prepare(file, tr.opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintln(stderr, "drill: nothing was run; fix the scenario (drill explain shows the schema)")
		return report.ExitUsage
	}
	if err := tr.setBase(base.Scenario); err != nil {
		fmt.Fprintf(stderr, "drill tune: %v\n", err)
		return report.ExitUsage
	}
	if !f.cluster.IsZero() && base.Scenario.Target.Kind() != scenario.TargetKube {
		return a.usage(cmd, "%s select a cluster for target.kube; %s has a %s target", selectionFlags(f.cluster), file, base.Scenario.Target.Kind())
	}
	red := redact.New(run.Secrets(base)...)
	stdout, stderr = red.Writer(stdout), red.Writer(stderr)
	// The ends of the range, and the first step above the low end, must make
	// valid runs: every value of the search lies between them.
	for _, k := range []int64{0, 1, rg.Points()} {
		v := rg.Format(rg.Value(k))
		p, err := tr.plan(v)
		if err == nil {
			err = errors.Join(run.CheckHostChanges(p.Scenario, f.allowHostSysctl), run.CheckClusterChanges(p, f.allowCluster))
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			fmt.Fprintln(stderr, "drill: nothing was run")
			return report.ExitUsage
		}
	}
	dir := f.dir
	if dir == "" {
		dir = newRunDir(f.out, base.Scenario.Metadata.Name+"-tune", time.Now())
	} else if err := run.ClaimDir(dir, f.overwrite); err != nil {
		fmt.Fprintf(stderr, "drill tune: %v\n", err)
		return report.ExitUsage
	}
	var progress io.Writer
	if !f.quiet {
		progress = stderr
	}
	tr.run = run.Options{Version: buildVersion().Short(), AllowRemote: f.allowRemote, AllowAnyNamespace: f.allowAnyNS,
		AllowHostSysctl: f.allowHostSysctl, AllowClusterChanges: f.allowCluster, Cluster: f.cluster, Lab: labtarget.Target{},
		LabName: f.labName, Progress: progress, TTY: isTerminal(stderr), Insist: a.insist}
	o := tune.Options{Scenario: file, Range: rg, Condition: tr.condition, Repeat: f.repeat, MaxRuns: f.maxRuns, Dir: dir}
	if err := o.Check(); err != nil {
		return a.usage(cmd, "%v", err)
	}
	o.OnStep = func(r *tune.Result, st tune.Step) error {
		fmt.Fprintf(stderr, "drill tune: run %d: %s=%s: %d requests, %d failed: %s (%s)\n", st.Run, rg.Var, st.Value, st.Requests, st.Failures, stepWord(st), st.Dir)
		return tune.Write(dir, r)
	}
	fmt.Fprintf(stderr, "drill tune: %s at a resolution of %s until %s: at most %d runs (--max-runs %d) into %s\n",
		rg, rg.Format(rg.Resolution), strings.Join(tr.condition, " and "), rg.MaxRuns(max(f.repeat, 1)), f.maxRuns, dir)
	res, err := tune.Search(ctx, tr, o)
	if res == nil {
		fmt.Fprintf(stderr, "drill tune: %v\n", err)
		return report.ExitError
	}
	if werr := tune.Write(dir, res); werr != nil {
		fmt.Fprintf(stderr, "drill tune: %v\n", werr)
		if err == nil {
			res.ExitCode = report.ExitError
		}
	}
	if f.format == tuneJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else if rerr := tune.Render(stdout, res); rerr != nil {
		fmt.Fprintf(stderr, "drill tune: %v\n", rerr)
	}
	if n := len(res.Steps); err != nil && (n == 0 || res.Steps[n-1].Error == "" && !res.Steps[n-1].Interrupted) {
		fmt.Fprintf(stderr, "drill tune: %v\n", err) // not a run's: that was printed with it
	}
	fmt.Fprintf(stderr, "drill tune: %s after %d of at most %d runs; result in %s\n", res.Outcome, res.Runs(), rg.MaxRuns(max(o.Repeat, 1)), dir)
	return res.ExitCode
}

func stepWord(st tune.Step) string {
	switch {
	case st.Interrupted:
		return "interrupted"
	case st.Error != "":
		return "error: " + st.Error
	case st.Held:
		return "held"
	}
	return "failed"
}

// tuneRunner runs the scenario of a search with its variable at a value:
// the value reaches the run as a one-value matrix, exactly as a matrix
// combination does (run.Plan.Variants), and --until as the run's checks.
type tuneRunner struct {
	file  string
	rng   tune.Range
	until []string
	opts  scenario.Options
	// fixed holds the scenario's own matrix variables, each with its one
	// value.
	fixed     scenario.Matrix
	condition []string
	run       run.Options
}

// setBase takes what the search keeps from the scenario: its matrix
// variables other than the searched one, which must have one value each,
// and its checks when there is no --until.
func (t *tuneRunner) setBase(sc *scenario.Scenario) error {
	for _, v := range sc.Matrix {
		if v.Name == t.rng.Var {
			continue
		}
		if len(v.Values) > 1 {
			return fmt.Errorf("%s: matrix.%s has %d values; drill tune varies %s alone: keep one value, e.g. --set 'matrix={%s: [%s]}', or remove the matrix", sc.File, v.Name, len(v.Values), t.rng.Var, v.Name, v.Values[0])
		}
		t.fixed = append(t.fixed, v)
	}
	t.condition = t.until
	if len(t.until) == 0 {
		for _, c := range sc.Checks {
			t.condition = append(t.condition, c.Expr.Source)
		}
	}
	if len(t.condition) == 0 {
		return fmt.Errorf("%s has no checks: say when a value holds with --until, e.g. --until 'status_5xx == 0'", sc.File)
	}
	return nil
}

// sets are the overrides that give the search's variable value: the matrix,
// and the checks when --until is given.
func (t *tuneRunner) sets(value string) (matrix, checks scenario.Set) {
	m := map[string][]string{t.rng.Var: {value}}
	for _, v := range t.fixed {
		m[v.Name] = v.Values
	}
	mj, _ := json.Marshal(m)
	matrix = scenario.Set{Path: "matrix", Value: string(mj)}
	if len(t.until) > 0 {
		cj, _ := json.Marshal(t.until)
		checks = scenario.Set{Path: "checks", Value: string(cj)}
	}
	return matrix, checks
}

// plan prepares the run of value; problems in the overrides name --vary
// and --until rather than the overrides themselves.
func (t *tuneRunner) plan(value string) (*run.Plan, error) {
	matrix, checks := t.sets(value)
	opts := t.opts
	opts.Set = append(append([]scenario.Set(nil), opts.Set...), matrix)
	if checks.Path != "" {
		opts.Set = append(opts.Set, checks)
	}
	p, err := run.Prepare(t.file, opts)
	if err != nil {
		var errs scenario.Errors
		if errors.As(err, &errs) {
			for i := range errs {
				switch errs[i].Set {
				case matrix.String():
					errs[i].Set = "--vary " + t.rng.Var + "=" + value
				case checks.String():
					errs[i].Set = "--until"
				}
			}
			return nil, errs
		}
		return nil, err
	}
	variants, err := p.Variants()
	if err != nil {
		return nil, err
	}
	if len(variants) != 1 {
		return nil, fmt.Errorf("%s=%s makes %d runs, want one", t.rng.Var, value, len(variants))
	}
	return variants[0], nil
}

// Run implements tune.Runner with a real run.
func (t *tuneRunner) Run(ctx context.Context, value, dir string) (*report.Report, error) {
	p, err := t.plan(value)
	if err != nil {
		return nil, runError{report.ExitUsage, err}
	}
	opts := t.run
	opts.Dir = dir
	r, err := run.Run(ctx, p, opts)
	if err != nil {
		code := report.ExitError
		var re *run.Error
		if errors.As(err, &re) {
			code = re.Code
		}
		return r, runError{code, err}
	}
	return r, nil
}

// runError is a run's error with the exit code it ended with.
type runError struct {
	code int
	err  error
}

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }
func (e runError) ExitCode() int { return e.code }
