package run

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
	"github.com/drillkit/drill/pkg/scenario"
)

// runState is the state of a run in progress: t=0 is when the load starts.
type runState struct {
	sc   *scenario.Scenario
	sys  *system
	opts Options
	out  *output

	recOpts  metric.Options
	rec      *metric.Recorder
	trackers []*check.AbortTracker
	progress *progress
	// inflight follows the requests sent and not yet answered; grace is how
	// long after a second ends it is evaluated (scenario abortGrace).
	inflight *metric.InFlight
	grace    time.Duration
	attack   *load.Attack

	// env is where the faults act, and journal records them (cluster
	// targets only).
	env     *inject.Env
	journal *inject.Journal

	samplers *sample.Group
	// datapath is what the node agents measured (scenario sample.nodes).
	datapath *sample.Datapath

	mu     sync.Mutex
	notes  []string
	t0     time.Time
	events []report.Event
	abort  *report.AbortResult
}

// newRunState is the state of a run of sc on sys, before its load starts.
func newRunState(sc *scenario.Scenario, sys *system, opts Options, cfg load.Config, out *output) *runState {
	return &runState{
		sc: sc, sys: sys, opts: opts, out: out,
		recOpts:  metric.Options{BackendHeader: sc.Load.BackendHeader, Settle: sc.Load.Timeout + time.Second},
		trackers: trackers(sc.Aborts()),
		grace:    sc.AbortGrace,
		progress: &progress{w: opts.Progress, tty: opts.TTY, total: sc.TotalDuration(), phases: cfg.Phases},
		samplers: sample.NewGroup(),
	}
}

// prepareFaults opens the faults' environment on a cluster target and,
// when the run has faults, their journal.
func (st *runState) prepareFaults(hasFaults bool) error {
	sys := st.sys
	if sys.cluster == nil {
		return nil
	}
	if hasFaults {
		j, err := inject.NewJournal(filepath.Join(st.opts.Dir, inject.JournalFile), sys.access())
		if err != nil {
			return &Error{Code: report.ExitError, Err: err}
		}
		st.journal = j
	}
	st.env = &inject.Env{Cluster: sys.cluster, Namespace: sys.namespace, AllowAnyNamespace: allowAnyNamespace(sys, st.opts), ELB: sys.elb,
		AllowClusterChanges: st.opts.AllowClusterChanges,
		Note:                func(source, msg string) { st.note(report.EventFault, source, msg) }}
	return nil
}

func (st *runState) start(t0 time.Time) {
	st.t0 = t0
	st.progress.start = t0
	st.recOpts.Start = t0
	st.rec = metric.New(st.recOpts)
	st.inflight = metric.NewInFlight(t0)
	st.note(report.EventNote, "load", "load started")
}

// note adds an event at the current time.
func (st *runState) note(kind report.EventKind, source, msg string) {
	st.noteFields(kind, source, msg, nil)
}

// noteFields adds an event with its structured fields at the current time.
func (st *runState) noteFields(kind report.EventKind, source, msg string, fields map[string]string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	st.events = append(st.events, report.Event{T: now.Sub(st.t0), Time: now, Kind: kind, Source: source, Message: msg, Fields: fields})
}

// snapshot returns the events recorded so far.
func (st *runState) snapshot() []report.Event {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]report.Event(nil), st.events...)
}

// sustained notes when the load could not keep the planned rate (a slow
// target holding every worker, or a saturated machine): fewer requests
// were sent than the schedule called for.
func (st *runState) sustained(a *load.Attack, elapsed time.Duration) {
	planned := a.Pacer().Hits(min(elapsed, a.Pacer().Duration()))
	if sent := float64(a.Sent()); planned > 0 && sent < 0.99*planned {
		st.mu.Lock()
		st.notes = append(st.notes, fmt.Sprintf("rate not sustained: %d requests sent of %.0f planned (%.1f%%)", a.Sent(), planned, 100*sent/planned))
		st.mu.Unlock()
	}
}

func (st *runState) aborted() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.abort != nil
}

func trackers(aborts []check.Abort) []*check.AbortTracker {
	out := make([]*check.AbortTracker, len(aborts))
	for i, a := range aborts {
		out[i] = check.NewAbortTracker(a)
	}
	return out
}
