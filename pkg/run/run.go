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
	// LabName names the lab a lab-target run brings up (RunLabName when
	// empty), so that runs on one machine can each have their own.
	LabName string
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
	t := &timeline{
		recOpts:  metric.Options{BackendHeader: sc.Load.BackendHeader, Settle: sc.Load.Timeout + time.Second},
		results:  load.NewResultsWriter(f),
		trackers: trackers(sc.Aborts()),
		grace:    sc.AbortGrace,
		progress: &progress{w: opts.Progress, tty: opts.TTY, total: sc.TotalDuration(), phases: cfg.Phases},
	}
	r.StartedAt = time.Now()
	t.start(r.StartedAt)
	t.progress.start = r.StartedAt
	var env *inject.Env
	var datapath *sample.Datapath
	stopNodes := func() {}
	if sys.cluster != nil {
		if len(plan.Faults) > 0 {
			if t.journal, err = inject.NewJournal(filepath.Join(opts.Dir, inject.JournalFile), sys.access()); err != nil {
				return nil, &Error{Code: report.ExitError, Err: err}
			}
		}
		env = &inject.Env{Cluster: sys.cluster, Namespace: sys.namespace, AllowAnyNamespace: allowAny, ELB: sys.elb,
			AllowClusterChanges: opts.AllowClusterChanges,
			Note:                func(source, msg string) { t.note(report.EventFault, source, msg) }}
		watchCtx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		if err := sample.WatchPods(watchCtx, sys.cluster.Client, sys.namespace, func(c sample.PodChange) {
			t.note(report.EventPod, c.Pod, c.Message)
		}); err != nil {
			t.note(report.EventNote, "sample", "pod watch failed: "+err.Error())
		}
		if err := sample.WatchEndpoints(watchCtx, sys.cluster.Client, sys.namespace, func(e sample.Endpoints) {
			t.note(report.EventEndpoint, e.Service, e.Message())
		}); err != nil {
			t.note(report.EventNote, "sample", "endpoint watch failed: "+err.Error())
		}
		if len(sc.Sample.Nodes) > 0 {
			datapath = sample.NewDatapath()
			stopNodes = sample.NewNodeSampler(sys.cluster.Client, sample.AgentConfig{Parts: append(slices.Clone(sc.Sample.Nodes), agent.PartKubeProxy)}).
				Start(watchCtx, sc.Sample.Interval, datapath, func(node, msg string) { t.note(report.EventSample, node, msg) })
		}
		if sys.elb != nil && len(sys.groups) > 0 && sc.Sample.LoadBalancer {
			go func() {
				_ = sys.elb.Watch(watchCtx, sys.groups, sc.Sample.Interval, nil, func(tr elbv2.Transition) {
					msg := fmt.Sprintf("target %s in %s: %s → %s", tr.Target, tr.TargetGroup, orNone(tr.From), orNone(tr.To))
					if tr.Reason != "" {
						msg += " (" + tr.Reason + ")"
					}
					t.note(report.EventTarget, tr.Target, msg)
				})
			}()
		}
	}
	m := measured{sc: sc, sys: sys, t: t, datapath: datapath}
	checkpoints := startCheckpoints(ctx, opts.Dir, r, m, space, opts.RequireChecks)
	done, cause := t.drive(ctx, cfg, plan.Faults, env)
	r.EndedAt = time.Now()
	t.progress.done()
	if err := t.results.Close(); err != nil && cause == nil {
		cause = err
	}
	if err := f.Sync(); err != nil && cause == nil {
		cause = fmt.Errorf("write results: %w", err)
	}
	rctx, cancel := cleanupContext(ctx, opts.Insist, "recover", sc.Timeouts.Recover)
	unrecovered := recoverAll(rctx, done, env, t)
	cancel()
	stopNodes()
	if err := checkpoints.finish(); err != nil {
		t.mu.Lock()
		t.notes = append(t.notes, "a provisional report could not be written "+err.Error())
		t.mu.Unlock()
	}
	m.fill(r)
	outcome := report.Outcome{Planned: sc.TotalDuration(), RequireChecks: opts.RequireChecks}
	switch {
	case errors.Is(cause, errAborted):
		outcome.Abort = t.abort
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

// timeline is the state of a run in progress: t=0 is when the load starts.
type timeline struct {
	recOpts  metric.Options
	rec      *metric.Recorder
	results  *load.ResultsWriter
	trackers []*check.AbortTracker
	progress *progress
	// inflight follows the requests sent and not yet answered; grace is how
	// long after a second ends it is evaluated (scenario abortGrace).
	inflight *metric.InFlight
	grace    time.Duration
	attack   *load.Attack

	journal *inject.Journal

	mu     sync.Mutex
	notes  []string
	t0     time.Time
	events []report.Event
	abort  *report.AbortResult
}

func (t *timeline) start(t0 time.Time) {
	t.t0 = t0
	t.recOpts.Start = t0
	t.rec = metric.New(t.recOpts)
	t.inflight = metric.NewInFlight(t0)
	t.note(report.EventNote, "load", "load started")
}

// note adds an event at the current time.
func (t *timeline) note(kind report.EventKind, source, msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.events = append(t.events, report.Event{T: now.Sub(t.t0), Time: now, Kind: kind, Source: source, Message: msg})
}

// snapshot returns the events recorded so far.
func (t *timeline) snapshot() []report.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]report.Event(nil), t.events...)
}

// drive runs the load to its end, with the faults injected at their offsets,
// and returns why it ended early, if it did, and the faults it applied.
func (t *timeline) drive(ctx context.Context, cfg load.Config, faults []inject.Scheduled, env *inject.Env) ([]applied, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	attack, err := load.NewAttack(cfg)
	if err == nil {
		attack.OnStart(t.inflight.Start)
		t.attack = attack
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.watch(ctx, cancel)
	}()
	applied := make(chan []applied, 1)
	go func() { applied <- t.inject(ctx, cancel, faults, env) }()
	if err == nil {
		err = attack.Run(ctx, func(r *vegeta.Result) {
			t.rec.Add(r)
			t.inflight.Done(r)
			if err := t.results.Write(r); err != nil {
				cancel(err)
			}
		})
	}
	cancel(nil)
	wg.Wait()
	done := <-applied
	elapsed := time.Since(t.t0)
	if attack != nil {
		t.sustained(attack, elapsed)
	}
	t.live(t.t0.Add((elapsed+time.Second-1)/time.Second*time.Second), nil)
	if err == nil {
		t.note(report.EventNote, "load", "load finished")
		return done, nil
	}
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errAborted):
		t.note(report.EventNote, "load", "load stopped by abortWhen")
		return done, errAborted
	case errors.Is(cause, context.Canceled) && !errors.Is(err, context.Canceled):
		return done, err
	case errors.Is(cause, context.Canceled):
		t.note(report.EventNote, "load", "load interrupted")
		return done, errInterrupted
	default:
		t.note(report.EventNote, "load", "load stopped: "+cause.Error())
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
func (t *timeline) inject(ctx context.Context, cancel context.CancelCauseFunc, faults []inject.Scheduled, env *inject.Env) []applied {
	var done []applied
	for _, f := range faults {
		select {
		case <-ctx.Done():
			return done
		case <-time.After(time.Until(t.t0.Add(f.At))):
		}
		ft := f.Fault
		t.note(report.EventFault, ft.Name(), "apply "+ft.Name())
		entry, err := t.journal.Record(-1, ft, inject.PhaseApplying, nil)
		if err != nil {
			cancel(err)
			return done
		}
		done = append(done, applied{fault: ft, entry: entry})
		fenv := *env
		fenv.Changed = func(ft inject.Fault) {
			if _, err := t.journal.Record(entry, ft, inject.PhaseApplying, nil); err != nil {
				cancel(err)
			}
		}
		if err := ft.Apply(ctx, &fenv); err != nil {
			if ctx.Err() == nil {
				t.note(report.EventFault, ft.Name(), "failed: "+err.Error())
				cancel(fmt.Errorf("fault %s: %w", ft.Name(), err))
			}
			return done
		}
		if _, err := t.journal.Record(entry, ft, inject.PhaseApplied, nil); err != nil {
			cancel(err)
			return done
		}
	}
	return done
}

// recoverAll recovers the applied faults, last first, and returns what could
// not be recovered; ctx bounds it (timeouts.recover).
func recoverAll(ctx context.Context, done []applied, env *inject.Env, t *timeline) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		f := done[i].fault
		err := f.Recover(ctx, env)
		phase := inject.PhaseRecovered
		if err != nil {
			phase = inject.PhaseFailed
			t.note(report.EventFault, f.Name(), "recover failed: "+err.Error())
			errs = append(errs, fmt.Errorf("recover %s: %w", f.Name(), err))
		} else {
			t.note(report.EventFault, f.Name(), "recovered "+f.Name())
		}
		if _, jerr := t.journal.Record(done[i].entry, f, phase, err); jerr != nil {
			errs = append(errs, jerr)
		}
	}
	if len(errs) > 0 && t.journal != nil {
		errs = append(errs, fmt.Errorf("drill recover %s retries from the journal", t.journal.Path()))
	}
	return errors.Join(errs...)
}

// sustained notes when the load could not keep the planned rate (a slow
// target holding every worker, or a saturated machine): fewer requests
// were sent than the schedule called for.
func (t *timeline) sustained(a *load.Attack, elapsed time.Duration) {
	planned := a.Pacer().Hits(min(elapsed, a.Pacer().Duration()))
	if sent := float64(a.Sent()); planned > 0 && sent < 0.99*planned {
		t.mu.Lock()
		t.notes = append(t.notes, fmt.Sprintf("rate not sustained: %d requests sent of %.0f planned (%.1f%%)", a.Sent(), planned, 100*sent/planned))
		t.mu.Unlock()
	}
}

func (t *timeline) aborted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.abort != nil
}

func trackers(aborts []check.Abort) []*check.AbortTracker {
	out := make([]*check.AbortTracker, len(aborts))
	for i, a := range aborts {
		out[i] = check.NewAbortTracker(a)
	}
	return out
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
	r.Checks = evaluate(exprs, values{r.Summary.Metric(), r.Sampled})
	report.Judge(r, report.OutcomeOf(r))
	return nil
}
