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
func (st *runState) watch(ctx context.Context, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := st.out.results.Flush(); err != nil {
				cancel(err)
			}
			st.live(now.Add(-st.grace), cancel)
		}
	}
}

// live shows and evaluates every second that ended before upTo, which is
// the grace before now: a request of such a second still in flight has been
// for at least the grace. With a nil cancel the abort conditions are not
// evaluated any more (the load ended).
func (st *runState) live(upTo time.Time, cancel context.CancelCauseFunc) {
	for _, s := range st.rec.Seconds(upTo) {
		l := st.liveSecond(s)
		if cancel != nil || l.Requests+l.NoResponse+l.NotSent > 0 {
			// Once the load ended, the seconds after it stopped are empty:
			// the last line shown stays the last one with load.
			st.progress.second(l, st.inflight.State())
		}
		if cancel == nil || st.aborted() {
			continue
		}
		for _, tr := range st.trackers {
			if tr.Observe(l) {
				at := time.Since(st.t0)
				st.mu.Lock()
				st.abort = &report.AbortResult{Expr: tr.Abort().Source, AtT: int(at / time.Second), Message: tr.Reason()}
				st.mu.Unlock()
				st.note(report.EventNote, "abort", tr.Abort().Source+": "+tr.Reason())
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
func (st *runState) liveSecond(s metric.Second) metric.Live {
	l := metric.Live{Second: s, NoResponse: st.inflight.Pending(s.T)}
	if a := st.attack; a != nil && st.inflight.State().InFlight >= a.MaxWorkers() {
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
