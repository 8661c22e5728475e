package run

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/report"
)

// drive runs the load to its end, with the faults injected at their offsets,
// and returns why it ended early, if it did, and the faults it applied.
func (st *runState) drive(ctx context.Context, cfg load.Config, faults []inject.Scheduled) ([]applied, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	attack, err := load.NewAttack(cfg)
	obs := st.opts.Observer
	if err == nil {
		attack.OnStart(st.inflight.Start)
		st.attack = attack
		if obs != nil {
			obs.LoadStarted(st.t0, attack.Pacer(), st.inflight)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		st.watch(ctx, cancel)
	}()
	applied := make(chan []applied, 1)
	go func() { applied <- st.inject(ctx, cancel, faults) }()
	if err == nil {
		err = attack.Run(ctx, func(r *vegeta.Result) {
			if obs != nil {
				obs.Result(r)
			}
			st.rec.Add(r)
			st.inflight.Done(r)
			if err := st.out.results.Write(r); err != nil {
				cancel(err)
			}
		})
	}
	cancel(nil)
	if obs != nil && attack != nil {
		obs.LoadEnded()
	}
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
func (st *runState) inject(ctx context.Context, cancel context.CancelCauseFunc, faults []inject.Scheduled) []applied {
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
		st.observeFault(ft, true)
		fenv := *st.env
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
func (st *runState) recoverAll(ctx context.Context, done []applied) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		f := done[i].fault
		err := f.Recover(ctx, st.env)
		phase := inject.PhaseRecovered
		if err != nil {
			phase = inject.PhaseFailed
			st.note(report.EventFault, f.Name(), "recover failed: "+err.Error())
			errs = append(errs, fmt.Errorf("recover %s: %w", f.Name(), err))
		} else {
			st.note(report.EventFault, f.Name(), "recovered "+f.Name())
			st.observeFault(f, false)
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

// observeFault tells the run's Observer, if any, that f is active or not.
func (st *runState) observeFault(f inject.Fault, active bool) {
	if obs := st.opts.Observer; obs != nil {
		obs.Fault(f.Name(), inject.ActionOf(f).Name, active)
	}
}
