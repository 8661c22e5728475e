// Package run owns a run's timeline: it starts the load, feeds the metrics,
// evaluates abort conditions every second, writes raw results and the report,
// and decides the exit code.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/agent"
	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
	"github.com/drillkit/drill/pkg/scenario"
)

// Files a run writes into its directory, besides report.FileName and
// inject.JournalFile.
const (
	ResultsFile = "results.bin"
	// ReserveFile holds disk space for the final report while the run
	// writes results; it is removed before the report is written.
	ReserveFile = ".report-reserve"
)

// Options configure a run.
type Options struct {
	// Dir is the run's output directory; it is created.
	Dir string
	// Version is drill's version, recorded in the report.
	Version string
	// AllowRemote lets load go to addresses outside loopback and the lab.
	AllowRemote bool
	// Progress receives the live progress line; nil prints none.
	Progress io.Writer
	// TTY redraws one progress line instead of printing a line every 10s.
	TTY bool
	// AllowAnyNamespace lets faults act in namespaces without the opt-in
	// label (inject.OptInLabel). Lab targets always allow: drill owns the lab.
	AllowAnyNamespace bool
	// AllowHostSysctl lets a lab run change host-wide settings the
	// scenario asks for (target.lab.hostConntrackMax).
	AllowHostSysctl bool
	// AllowClusterChanges lets faults change cluster-wide components
	// (kubeProxyMode).
	AllowClusterChanges bool
	// RequireChecks fails a run without checks (report.ExitChecksFailed)
	// instead of letting it end unjudged with report.ExitOK.
	RequireChecks bool
	// Insist is closed when the user insists on stopping (a second
	// SIGINT or SIGTERM): recovery and cleanup stop waiting, InsistGrace
	// later, and the run ends with what is left (report.ExitUnrecovered).
	Insist <-chan struct{}
}

// Error is a failure that kept the run from starting; Code says why.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNoReport is wrapped by the error of a run whose final report could not
// be written: the report Run returns is not on disk.
var ErrNoReport = errors.New("the final report could not be written")

var (
	errAborted     = errors.New("aborted by an abortWhen condition")
	errInterrupted = errors.New("interrupted")
)

// Run executes sc and returns its report, already written to Dir. A run that
// starts always yields a report, marked incomplete when it was cut short; an
// *Error is returned when it could not start.
func Run(ctx context.Context, plan *Plan, opts Options) (*report.Report, error) {
	r, err := start(ctx, plan, opts)
	if r == nil && err != nil {
		// The run did not start: its directory still gets a report saying
		// why, so that `drill report DIR` (and its JUnit) works as for any run.
		r = notRun(plan, opts, err)
		if werr := writeReport(opts.Dir, r); werr != nil {
			return nil, errors.Join(err, &Error{Code: report.ExitError, Err: werr})
		}
	}
	return r, err
}

// start reaches the system, runs the load and the faults and cleans up.
func start(ctx context.Context, plan *Plan, opts Options) (*report.Report, error) {
	sc := plan.Scenario
	if err := CheckHostChanges(sc, opts.AllowHostSysctl); err != nil {
		return nil, &Error{Code: report.ExitUsage, Err: err}
	}
	if err := CheckClusterChanges(plan, opts.AllowClusterChanges); err != nil {
		return nil, &Error{Code: report.ExitUsage, Err: err}
	}
	if base := knownURL(sc); base != "" {
		// Refuse a forbidden destination before touching any cluster.
		cfg, err := loadConfig(sc.Load, base, Guard(opts.AllowRemote))
		if err != nil {
			return nil, &Error{Code: report.ExitUsage, Err: err}
		}
		if err := checkTargets(ctx, cfg); err != nil {
			return nil, err
		}
	}
	sys, err := openSystem(ctx, sc, opts)
	if err != nil {
		return nil, asError(err)
	}
	r, err := runOn(ctx, plan, sys, opts)
	cctx, cancel := cleanupContext(ctx, opts.Insist, "delete", sc.Timeouts.Delete)
	defer cancel()
	if cerr := sys.close(cctx); cerr != nil {
		// What is left outranks how the run ended.
		err = errors.Join(&Error{Code: report.ExitUnrecovered, Err: fmt.Errorf("clean up after the run: %w; remove what is left by hand", cerr)}, err)
		if r != nil {
			o := report.OutcomeOf(r)
			o.Unrecovered = strings.TrimPrefix(o.Unrecovered+"; cleanup failed: "+cerr.Error(), "; ")
			report.Judge(r, o)
			_ = report.Write(filepath.Join(opts.Dir, report.FileName), r)
		}
	}
	return r, err
}

// knownURL is where the load goes when the scenario says so (url and kube
// targets); a lab's load balancer address is only known once it runs.
func knownURL(sc *scenario.Scenario) string {
	switch sc.Target.Kind() {
	case scenario.TargetURL:
		return sc.Target.URL
	case scenario.TargetKube:
		return sc.Target.Kube.URL
	}
	return ""
}

// runOn runs the load and the faults against an open system.
func runOn(ctx context.Context, plan *Plan, sys *system, opts Options) (*report.Report, error) {
	sc := plan.Scenario
	cfg, err := loadConfig(sc.Load, sys.base, Guard(opts.AllowRemote))
	if err != nil {
		return nil, &Error{Code: report.ExitUsage, Err: err}
	}
	cfg.Redactor = redactorOf(sc)
	if err := checkTargets(ctx, cfg); err != nil {
		return nil, err
	}
	if err := load.CheckReachable(ctx, cfg); err != nil {
		return nil, &Error{Code: report.ExitError, Err: err}
	}
	allowAny := opts.AllowAnyNamespace || sys.target.Kind == report.TargetLab
	if sys.cluster != nil && len(plan.Faults) > 0 && !allowAny {
		probe := &inject.Env{Cluster: sys.cluster}
		if err := probe.Allowed(ctx, plan.Faults[0].Fault, sys.namespace); err != nil {
			return nil, &Error{Code: report.ExitUsage, Err: err}
		}
	}
	if err := makeDir(opts.Dir); err != nil {
		return nil, &Error{Code: report.ExitError, Err: err}
	}
	f, err := os.Create(filepath.Join(opts.Dir, ResultsFile))
	if err != nil {
		return nil, &Error{Code: report.ExitError, Err: fmt.Errorf("create results file: %w", err)}
	}
	defer f.Close()
	space, err := reserveFor(opts.Dir, sc.TotalDuration())
	if err != nil {
		return nil, &Error{Code: report.ExitError, Err: err}
	}
	defer space.release()

	r := newReport(sc, opts, sys.target)
	r.Environment.Notes = sys.notes
	r.ResultsFile = ResultsFile
	st := &runState{
		recOpts:  metric.Options{BackendHeader: sc.Load.BackendHeader, Settle: sc.Load.Timeout + time.Second},
		results:  load.NewResultsWriter(f),
		trackers: trackers(sc.Aborts()),
		grace:    sc.AbortGrace,
		progress: &progress{w: opts.Progress, tty: opts.TTY, total: sc.TotalDuration(), phases: cfg.Phases},
	}
	r.StartedAt = time.Now()
	st.start(r.StartedAt)
	st.progress.start = r.StartedAt
	var env *inject.Env
	var datapath *sample.Datapath
	stopNodes := func() {}
	if sys.cluster != nil {
		if len(plan.Faults) > 0 {
			if st.journal, err = inject.NewJournal(filepath.Join(opts.Dir, inject.JournalFile), sys.access()); err != nil {
				return nil, &Error{Code: report.ExitError, Err: err}
			}
		}
		env = &inject.Env{Cluster: sys.cluster, Namespace: sys.namespace, AllowAnyNamespace: allowAny, ELB: sys.elb,
			AllowClusterChanges: opts.AllowClusterChanges,
			Note:                func(source, msg string) { st.note(report.EventFault, source, msg) }}
		watchCtx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		if err := sample.WatchPods(watchCtx, sys.cluster.Client, sys.namespace, func(c sample.PodChange) {
			st.note(report.EventPod, c.Pod, c.Message)
		}); err != nil {
			st.note(report.EventNote, "sample", "pod watch failed: "+err.Error())
		}
		if err := sample.WatchEndpoints(watchCtx, sys.cluster.Client, sys.namespace, func(e sample.Endpoints) {
			st.note(report.EventEndpoint, e.Service, e.Message())
		}); err != nil {
			st.note(report.EventNote, "sample", "endpoint watch failed: "+err.Error())
		}
		if len(sc.Sample.Nodes) > 0 {
			datapath = sample.NewDatapath()
			stopNodes = sample.NewNodeSampler(sys.cluster.Client, sample.AgentConfig{Parts: append(slices.Clone(sc.Sample.Nodes), agent.PartKubeProxy)}).
				Start(watchCtx, sc.Sample.Interval, datapath, func(node, msg string) { st.note(report.EventSample, node, msg) })
		}
		if sys.elb != nil && len(sys.groups) > 0 && sc.Sample.LoadBalancer {
			go func() {
				_ = sys.elb.Watch(watchCtx, sys.groups, sc.Sample.Interval, nil, func(tr elbv2.Transition) {
					msg := fmt.Sprintf("target %s in %s: %s → %s", tr.Target, tr.TargetGroup, orNone(tr.From), orNone(tr.To))
					if tr.Reason != "" {
						msg += " (" + tr.Reason + ")"
					}
					st.note(report.EventTarget, tr.Target, msg)
				})
			}()
		}
	}
	m := measured{sc: sc, sys: sys, st: st, datapath: datapath}
	checkpoints := startCheckpoints(ctx, opts.Dir, r, m, space, opts.RequireChecks)
	done, cause := st.drive(ctx, cfg, plan.Faults, env)
	r.EndedAt = time.Now()
	st.progress.done()
	if err := st.results.Close(); err != nil && cause == nil {
		cause = err
	}
	if err := f.Sync(); err != nil && cause == nil {
		cause = fmt.Errorf("write results: %w", err)
	}
	rctx, cancel := cleanupContext(ctx, opts.Insist, "recover", sc.Timeouts.Recover)
	unrecovered := recoverAll(rctx, done, env, st)
	cancel()
	stopNodes()
	if err := checkpoints.finish(); err != nil {
		st.mu.Lock()
		st.notes = append(st.notes, "a provisional report could not be written "+err.Error())
		st.mu.Unlock()
	}
	m.fill(r)
	outcome := report.Outcome{Planned: sc.TotalDuration(), RequireChecks: opts.RequireChecks}
	switch {
	case errors.Is(cause, errAborted):
		outcome.Abort = st.abort
	case cause != nil:
		outcome.Failure = cause.Error()
	}
	var runErr error
	if unrecovered != nil {
		outcome.Unrecovered = unrecovered.Error()
		runErr = &Error{Code: report.ExitUnrecovered, Err: unrecovered}
	}
	report.Judge(r, outcome)
	space.release()
	if err := report.Write(filepath.Join(opts.Dir, report.FileName), r); err != nil {
		return r, errors.Join(runErr, &Error{Code: report.ExitError, Err: checkpoints.noReport(err)})
	}
	return r, runErr
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// asError makes sure a failure to start carries an exit code.
func asError(err error) error {
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Code: report.ExitError, Err: err}
}

// drive runs the load to its end, with the faults injected at their offsets,
// and returns why it ended early, if it did, and the faults it applied.
func (st *runState) drive(ctx context.Context, cfg load.Config, faults []inject.Scheduled, env *inject.Env) ([]applied, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	attack, err := load.NewAttack(cfg)
	if err == nil {
		attack.OnStart(st.inflight.Start)
		st.attack = attack
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		st.watch(ctx, cancel)
	}()
	applied := make(chan []applied, 1)
	go func() { applied <- st.inject(ctx, cancel, faults, env) }()
	if err == nil {
		err = attack.Run(ctx, func(r *vegeta.Result) {
			st.rec.Add(r)
			st.inflight.Done(r)
			if err := st.results.Write(r); err != nil {
				cancel(err)
			}
		})
	}
	cancel(nil)
	wg.Wait()
	done := <-applied
	elapsed := time.Since(st.t0)
	if attack != nil {
		st.sustained(attack, elapsed)
	}
	st.live(st.t0.Add((elapsed+time.Second-1)/time.Second*time.Second), nil)
	if err == nil {
		st.note(report.EventNote, "load", "load finished")
		return done, nil
	}
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errAborted):
		st.note(report.EventNote, "load", "load stopped by abortWhen")
		return done, errAborted
	case errors.Is(cause, context.Canceled) && !errors.Is(err, context.Canceled):
		return done, err
	case errors.Is(cause, context.Canceled):
		st.note(report.EventNote, "load", "load interrupted")
		return done, errInterrupted
	default:
		st.note(report.EventNote, "load", "load stopped: "+cause.Error())
		return done, cause
	}
}

// applied is a fault that was applied (perhaps partly), with its journal entry.
type applied struct {
	fault inject.Fault
	entry int
}

// inject applies each fault at its offset, one after the other, and returns
// those it applied (also partly), for recovery. A fault that fails stops
// the run.
func (st *runState) inject(ctx context.Context, cancel context.CancelCauseFunc, faults []inject.Scheduled, env *inject.Env) []applied {
	var done []applied
	for _, f := range faults {
		select {
		case <-ctx.Done():
			return done
		case <-time.After(time.Until(st.t0.Add(f.At))):
		}
		ft := f.Fault
		st.note(report.EventFault, ft.Name(), "apply "+ft.Name())
		entry, err := st.journal.Record(-1, ft, inject.PhaseApplying, nil)
		if err != nil {
			cancel(err)
			return done
		}
		done = append(done, applied{fault: ft, entry: entry})
		fenv := *env
		fenv.Changed = func(ft inject.Fault) {
			if _, err := st.journal.Record(entry, ft, inject.PhaseApplying, nil); err != nil {
				cancel(err)
			}
		}
		if err := ft.Apply(ctx, &fenv); err != nil {
			if ctx.Err() == nil {
				st.note(report.EventFault, ft.Name(), "failed: "+err.Error())
				cancel(fmt.Errorf("fault %s: %w", ft.Name(), err))
			}
			return done
		}
		if _, err := st.journal.Record(entry, ft, inject.PhaseApplied, nil); err != nil {
			cancel(err)
			return done
		}
	}
	return done
}

// recoverAll recovers the applied faults, last first, and returns what could
// not be recovered; ctx bounds it (timeouts.recover).
func recoverAll(ctx context.Context, done []applied, env *inject.Env, st *runState) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		f := done[i].fault
		err := f.Recover(ctx, env)
		phase := inject.PhaseRecovered
		if err != nil {
			phase = inject.PhaseFailed
			st.note(report.EventFault, f.Name(), "recover failed: "+err.Error())
			errs = append(errs, fmt.Errorf("recover %s: %w", f.Name(), err))
		} else {
			st.note(report.EventFault, f.Name(), "recovered "+f.Name())
		}
		if _, jerr := st.journal.Record(done[i].entry, f, phase, err); jerr != nil {
			errs = append(errs, jerr)
		}
	}
	if len(errs) > 0 && st.journal != nil {
		errs = append(errs, fmt.Errorf("drill recover %s retries from the journal", st.journal.Path()))
	}
	return errors.Join(errs...)
}

// values are the metrics checks see: the load's summary, and what the
// samplers measured.
type values struct {
	summary metric.Summary
	sampled check.Map
}

// Value implements check.Values.
func (v values) Value(name string) (float64, bool) {
	if x, ok := v.sampled[name]; ok {
		return x, true
	}
	return v.summary.Value(name)
}

func datapathValues(d *sample.Datapath) check.Map {
	if d == nil {
		return nil
	}
	return d.Values()
}

// conntrackSeries puts each node's conntrack samples on the run's clock.
func conntrackSeries(d *sample.Datapath, start time.Time) []report.ConntrackSeries {
	if d == nil {
		return nil
	}
	series := d.Series()
	out := make([]report.ConntrackSeries, 0, len(series))
	for node, points := range series {
		s := report.ConntrackSeries{Node: node, Points: make([]report.ConntrackPoint, len(points))}
		for i, p := range points {
			s.Points[i] = report.ConntrackPoint{T: p.Time.Sub(start), Count: p.Count, Max: p.Max, Drops: p.Drops, States: p.States}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// evaluate judges every check against the run's values.
func evaluate(exprs []check.Expr, s check.Values) []report.CheckResult {
	out := make([]report.CheckResult, 0, len(exprs))
	for _, e := range exprs {
		pass, actual, ok := e.Eval(s)
		c := report.CheckResult{
			Expr: e.Source, Metric: e.Metric, Op: e.Op, Threshold: e.FormatValue(e.Threshold),
			ActualValue: actual, Passed: pass && ok, NoData: !ok,
		}
		if ok {
			c.Actual = e.FormatValue(actual)
		} else {
			c.Message = "no data: the run produced no value for " + e.Metric
		}
		out = append(out, c)
	}
	return out
}

// Rejudge evaluates r's checks again against its summary (after the summary
// was recomputed from raw results) and judges the run again with the outcome
// it was judged with (report.OutcomeOf).
func Rejudge(r *report.Report) error {
	exprs := make([]check.Expr, 0, len(r.Checks))
	for _, c := range r.Checks {
		e, err := check.Parse(c.Expr)
		if err != nil {
			return fmt.Errorf("check %q: %w", c.Expr, err)
		}
		exprs = append(exprs, e)
	}
	r.Checks = evaluate(exprs, values{r.Summary, r.Sampled})
	report.Judge(r, report.OutcomeOf(r))
	return nil
}
