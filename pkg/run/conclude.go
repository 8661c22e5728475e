package run

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// conclude ends a run whose load has ended: it writes the results through,
// recovers the faults, stops the samplers and the provisional reports,
// judges the run and writes its report. cause is why the load ended early,
// if it did.
func (st *runState) conclude(ctx context.Context, r *report.Report, done []applied, cause error, checkpoints *checkpointer) (*report.Report, error) {
	r.EndedAt = time.Now()
	st.progress.done()
	if err := st.out.finish(); err != nil && cause == nil {
		cause = err
	}
	rctx, cancel := cleanupContext(ctx, st.opts.Insist, "recover", st.sc.Timeouts.Recover)
	unrecovered := st.recoverAll(rctx, done)
	cancel()
	st.detachSamplers()
	if err := checkpoints.finish(); err != nil {
		st.mu.Lock()
		st.notes = append(st.notes, "a provisional report could not be written "+err.Error())
		st.mu.Unlock()
	}
	st.fill(r)
	st.explainFailures(r)
	report.Judge(r, st.outcome(cause, unrecovered))
	var runErr error
	if unrecovered != nil {
		runErr = &Error{Code: report.ExitUnrecovered, Err: unrecovered}
	}
	st.out.space.release()
	if err := report.Write(filepath.Join(st.opts.Dir, report.FileName), r); err != nil {
		return r, errors.Join(runErr, &Error{Code: report.ExitError, Err: checkpoints.noReport(err)})
	}
	return r, runErr
}

// outcome is how the run ended, for its verdict.
func (st *runState) outcome(cause, unrecovered error) report.Outcome {
	o := report.Outcome{Planned: st.sc.TotalDuration(), RequireChecks: st.opts.RequireChecks}
	switch {
	case errors.Is(cause, errAborted):
		o.Abort = st.abort
	case cause != nil:
		o.Failure = cause.Error()
	}
	if unrecovered != nil {
		o.Unrecovered = unrecovered.Error()
	}
	return o
}
