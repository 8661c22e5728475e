// Package run carries out a run: it reaches the system under test,
// checks the way there, attaches the samplers, drives the load and the
// faults, evaluates abort conditions every second, writes raw results and
// the report, and decides the exit code.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/report"
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
	// Cluster overrides target.kube's kubeconfig, context and namespace
	// (drill run --kubeconfig, --context, -n) field by field.
	Cluster cluster.Selection
	// Lab reaches lab targets; a run of a lab scenario without it fails.
	Lab LabTarget
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
	// Observer watches the run as it happens; nil for none.
	Observer Observer
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

// runOn runs the load and the faults against an open system: preflight,
// attach the samplers, load and faults, conclude.
func runOn(ctx context.Context, plan *Plan, sys *system, opts Options) (*report.Report, error) {
	cfg, err := preflight(ctx, plan, sys, opts)
	if err != nil {
		return nil, err
	}
	out, err := openOutput(opts.Dir, plan.Scenario.TotalDuration())
	if err != nil {
		return nil, err
	}
	defer out.close()
	st := newRunState(plan.Scenario, sys, opts, cfg, out)
	if err := st.prepareFaults(len(plan.Faults) > 0); err != nil {
		return nil, err
	}
	r := newReport(plan.Scenario, opts, sys.target)
	r.Environment.Notes = sys.notes
	r.ResultsFile = ResultsFile
	r.StartedAt = time.Now()
	st.start(r.StartedAt)
	st.attachSamplers(ctx)
	checkpoints := startCheckpoints(ctx, st, r)
	done, cause := st.drive(ctx, cfg, plan.Faults)
	return st.conclude(ctx, r, done, cause, checkpoints)
}

// asError makes sure a failure to start carries an exit code.
func asError(err error) error {
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Code: report.ExitError, Err: err}
}
