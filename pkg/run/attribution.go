package run

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drillkit/drill/pkg/cause"
	"github.com/drillkit/drill/pkg/report"
)

// attribution counts, from the lab load balancer's request log, the
// requests that failed at each target (5xx, and 460 when the client gave up
// waiting), so that the report can say which target an error burst came
// from.
type attribution struct {
	mu      sync.Mutex
	targets map[string]*targetFailures
	// failures are the records the cause analysis joins with the
	// results, at most cause.MaxBalancerFailures.
	failures []cause.BalancerFailure
}

type targetFailures struct {
	first, last time.Time
	count       int
	outcomes    map[string]int
}

func newAttribution() *attribution { return &attribution{targets: map[string]*targetFailures{}} }

// record is the lab's LabRequest.OnFailure hook; it is called
// concurrently.
func (a *attribution) record(l TargetFailure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failures) < cause.MaxBalancerFailures {
		a.failures = append(a.failures, cause.BalancerFailure{Time: l.Time, Target: l.Target, TargetState: l.TargetState,
			Status: l.Status, TargetStatus: l.TargetStatus, Outcome: l.Outcome, Reused: l.Reused})
	}
	if l.Target == "" {
		return
	}
	f := a.targets[l.Target]
	if f == nil {
		f = &targetFailures{first: l.Time, outcomes: map[string]int{}}
		a.targets[l.Target] = f
	}
	f.count++
	f.last = l.Time
	f.outcomes[fmt.Sprintf("%d %s", l.Status, l.Outcome)]++
}

// balancerFailures returns the records kept for the cause analysis.
func (a *attribution) balancerFailures() []cause.BalancerFailure {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]cause.BalancerFailure(nil), a.failures...)
}

// events returns one timeline event per target that failed requests, at
// the time of its first failure.
func (a *attribution) events(t0 time.Time) []report.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []report.Event
	for target, f := range a.targets {
		var parts []string
		for o, n := range f.outcomes {
			parts = append(parts, fmt.Sprintf("%s ×%d", o, n))
		}
		sort.Strings(parts)
		out = append(out, report.Event{
			T: f.first.Sub(t0), Time: f.first, Kind: report.EventTarget, Source: target,
			Message: report.AttributionPrefix + fmt.Sprintf("%d requests failed at target %s from t=%.1fs to t=%.1fs (%s)",
				f.count, target, f.first.Sub(t0).Seconds(), f.last.Sub(t0).Seconds(), strings.Join(parts, ", ")),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}
