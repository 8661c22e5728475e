package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report/internal/human"
)

// Outcome is how a run ended: what Judge needs besides the report's Summary,
// Checks, StartedAt and EndedAt.
type Outcome struct {
	// Abort is the abortWhen condition that stopped the run, if one did.
	Abort *AbortResult
	// Failure says why the run could not be carried out to its end
	// (interrupted, results could not be written, the load failed, the run
	// has not finished yet); empty when it was.
	Failure string
	// FailureCode is the exit code of the Failure (ExitError when zero),
	// e.g. ExitUsage for a destination refused before the load started.
	FailureCode int
	// Unrecovered names the faults applied during the run that could not be
	// recovered; empty when every fault was.
	Unrecovered string
	// Planned is how long the scenario meant the run to last; with the
	// report's duration it gives the share of the plan a cut-short run
	// covered. Zero when unknown.
	Planned time.Duration
	// RequireChecks makes a run without checks fail with ExitChecksFailed
	// instead of ending unjudged with ExitOK.
	RequireChecks bool
}

// OutcomeOf reads back the outcome a saved report was judged with, so that
// Judge can judge it again (after its summary was recomputed from the raw
// results) and come to the same status for the same data.
func OutcomeOf(r *Report) Outcome {
	o := Outcome{Abort: r.Abort, Planned: r.Planned, RequireChecks: r.RequireChecks}
	switch {
	case r.ExitCode == ExitUnrecovered:
		o.Unrecovered = orText(r.IncompleteReason, "a fault could not be recovered")
		if r.Score.Partial && r.Abort == nil {
			// Cut short as well: the reason starts with why (see Judge).
			o.Failure = o.Unrecovered
		}
	case r.Status == StatusError:
		o.Failure = orText(r.IncompleteReason, "the run could not be carried out")
		o.FailureCode = r.ExitCode
	}
	return o
}

func orText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// NoChecksReason is what a run without checks says instead of a verdict.
const NoChecksReason = "no checks: nothing judged"

// Judge is the one place a run's verdict is decided. From the report's
// Summary and Checks and how the run ended it sets Schema, Abort,
// Incomplete, Status, Score and ExitCode, and sorts Events by time:
//
//   - a fault left unrecovered: error, ExitUnrecovered;
//   - a run that could not be carried out: error, FailureCode or ExitError;
//   - an abortWhen condition stopped it: aborted, ExitAborted;
//   - no checks: unjudged, ExitOK (ExitChecksFailed with RequireChecks):
//     without checks there is no evidence for a verdict either way;
//   - a check failed or had no data: failed, ExitChecksFailed;
//   - otherwise passed, ExitOK.
//
// The score of a run that did not run to its end (error or aborted) is
// partial: it is scaled by the share of the planned duration it covered.
// See docs/report.md.
func Judge(r *Report, o Outcome) {
	r.Schema = Schema
	slices.SortStableFunc(r.Events, func(a, b Event) int { return cmp.Compare(a.T, b.T) })
	r.Abort, r.Planned, r.RequireChecks = o.Abort, o.Planned, o.RequireChecks
	r.Incomplete, r.IncompleteReason = false, ""
	switch {
	case o.Unrecovered != "":
		r.Status, r.ExitCode = StatusError, ExitUnrecovered
		r.Incomplete, r.IncompleteReason = true, joinReasons(o.Failure, o.Unrecovered)
	case o.Failure != "":
		r.Status, r.ExitCode = StatusError, cmp.Or(o.FailureCode, ExitError)
		r.Incomplete, r.IncompleteReason = true, o.Failure
	case o.Abort != nil:
		r.Status, r.ExitCode = StatusAborted, ExitAborted
		r.Incomplete, r.IncompleteReason = true, coverageText(r.Duration(), o.Planned)
	case len(r.Checks) == 0 && o.RequireChecks:
		r.Status, r.ExitCode = StatusUnjudged, ExitChecksFailed
	case len(r.Checks) == 0:
		r.Status, r.ExitCode = StatusUnjudged, ExitOK
	case slices.ContainsFunc(r.Checks, func(c CheckResult) bool { return !c.Passed || c.NoData }):
		r.Status, r.ExitCode = StatusFailed, ExitChecksFailed
	default:
		r.Status, r.ExitCode = StatusPassed, ExitOK
	}
	r.Score = ScoreRun(r.Summary, r.Checks)
	if cutShort := o.Failure != "" || o.Abort != nil; cutShort {
		r.Score.prorate(r.Duration(), o.Planned)
	}
}

// joinReasons puts why a run was cut short before what it left unrecovered,
// unless the latter already starts with it.
func joinReasons(failure, unrecovered string) string {
	if strings.HasPrefix(unrecovered, failure) {
		return unrecovered
	}
	return failure + "; " + unrecovered
}

// coverageText says how much of the planned duration a run covered.
func coverageText(ran, planned time.Duration) string {
	if planned <= 0 {
		return fmt.Sprintf("stopped after %s", human.Duration(ran))
	}
	return fmt.Sprintf("stopped after %s of %s planned", human.Duration(ran), human.Duration(planned))
}

// prorate makes the score of a cut-short run partial: its total is scaled by
// the share of the planned duration the run covered (1 when the plan is not
// known), since the time it did not run gave no evidence.
func (sc *Score) prorate(ran, planned time.Duration) {
	coverage := 1.0
	if planned > 0 {
		coverage = clamp01(float64(ran) / float64(planned))
	}
	full := sc.Total
	sc.Partial, sc.Coverage = true, coverage
	sc.Total = round1(full * coverage)
	sc.PartialReason = fmt.Sprintf("%.1f × coverage %.3f: the run was cut short %s",
		full, coverage, strings.TrimPrefix(coverageText(ran, planned), "stopped "))
}
