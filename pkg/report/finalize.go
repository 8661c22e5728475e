package report

import (
	"cmp"
	"slices"
)

// Finalize completes a report whose Summary, Checks and Abort are filled in:
// it sets Schema, computes the Score, sorts Events by time, derives Status
// (aborted when Abort is set, failed when a check failed or had no data,
// passed otherwise; a Status of StatusError is kept) and sets ExitCode from it. A
// runner whose fault could not be recovered sets ExitCode to
// ExitUnrecovered after calling Finalize.
func (r *Report) Finalize() {
	r.Schema = Schema
	r.Score = ScoreRun(r.Summary, r.Checks)
	slices.SortStableFunc(r.Events, func(a, b Event) int { return cmp.Compare(a.T, b.T) })
	if r.Status != StatusError {
		r.Status = StatusPassed
		for _, c := range r.Checks {
			if !c.Passed || c.NoData {
				r.Status = StatusFailed
			}
		}
		if r.Abort != nil {
			r.Status = StatusAborted
		}
	}
	r.ExitCode = ExitCodeFor(r.Status)
}

// sortedEvents returns the events in time order without changing r.
func sortedEvents(events []Event) []Event {
	out := slices.Clone(events)
	slices.SortStableFunc(out, func(a, b Event) int { return cmp.Compare(a.T, b.T) })
	return out
}
