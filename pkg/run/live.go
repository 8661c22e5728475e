package run

import (
	"context"
	"math"
	"time"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// watch evaluates completed seconds and writes the results through to
// disk (whole records, every tick) until ctx ends.
func (t *timeline) watch(ctx context.Context, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := t.results.Flush(); err != nil {
				cancel(err)
			}
			t.live(now.Add(-t.grace), cancel)
		}
	}
}

// live shows and evaluates every second that ended before upTo, which is
// the grace before now: a request of such a second still in flight has been
// for at least the grace. With a nil cancel the abort conditions are not
// evaluated any more (the load ended).
func (t *timeline) live(upTo time.Time, cancel context.CancelCauseFunc) {
	for _, s := range t.rec.Seconds(upTo) {
		l := t.liveSecond(s)
		if cancel != nil || l.Requests+l.NoResponse+l.NotSent > 0 {
			// Once the load ended, the seconds after it stopped are empty:
			// the last line shown stays the last one with load.
			t.progress.second(l, t.inflight.State())
		}
		if cancel == nil || t.aborted() {
			continue
		}
		for _, tr := range t.trackers {
			if tr.Observe(l) {
				at := time.Since(t.t0)
				t.mu.Lock()
				t.abort = &report.AbortResult{Expr: tr.Abort().Source, AtT: int(at / time.Second), Message: tr.Reason()}
				t.mu.Unlock()
				t.note(report.EventNote, "abort", tr.Abort().Source+": "+tr.Reason())
				cancel(errAborted)
				break
			}
		}
	}
}

// liveSecond adds to a second's completed requests those still in flight
// (no response) and, while every worker is held, those the schedule called
// for that could not be sent. Once the load has ended (cancel nil in live)
// nothing is in flight any more and the second is as recorded.
func (t *timeline) liveSecond(s metric.Second) metric.Live {
	l := metric.Live{Second: s, NoResponse: t.inflight.Pending(s.T)}
	if a := t.attack; a != nil && t.inflight.State().InFlight >= a.MaxWorkers() {
		l.NotSent = notSent(a.Pacer(), s.T, s.Requests+l.NoResponse)
	}
	return l
}

// notSent is how many requests the schedule called for in second t beyond
// the sent ones.
func notSent(p *load.PhasePacer, t int, sent uint64) uint64 {
	from, to := time.Duration(t)*time.Second, time.Duration(t+1)*time.Second
	if from >= p.Duration() {
		return 0
	}
	planned := math.Floor(p.Hits(min(to, p.Duration()))) - math.Floor(p.Hits(from))
	if planned <= float64(sent) {
		return 0
	}
	return uint64(planned) - sent
}
