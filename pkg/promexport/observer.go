package promexport

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/sample"
)

// Observer feeds one run's observations into the Exporter's metrics,
// under the run's scenario label. It implements run.Observer.
type Observer struct {
	e        *Exporter
	scenario string

	requests, failures, dropped *prometheus.CounterVec
	latency                     prometheus.ObserverVec
	faults, entries, limit      *prometheus.GaugeVec
	endpoints, targets          *prometheus.GaugeVec

	// series are the series of each kind of result, looked up once: only
	// the goroutine that calls Result uses them.
	series map[resultKey]resultSeries

	mu sync.Mutex
	// states are the target states each group has had, so that a state
	// no target is in any more reads 0 instead of its last count.
	states map[string]map[string]bool
}

// resultKey is a kind of result: its request name, status code and, for a
// failure, its class.
type resultKey struct {
	attack, class string
	code          uint16
}

// resultSeries are the series a kind of result counts in; failures is nil
// for a success.
type resultSeries struct {
	requests, failures prometheus.Counter
	latency            prometheus.Observer
}

// Observe returns the Observer of a run of scenario (its name, and its
// matrix combination when it has one).
func (e *Exporter) Observe(scenario string) *Observer {
	l := prometheus.Labels{labelScenario: scenario}
	return &Observer{
		e: e, scenario: scenario,
		requests:  e.requests.MustCurryWith(l),
		failures:  e.failures.MustCurryWith(l),
		dropped:   e.conntrackDropped.MustCurryWith(l),
		latency:   e.latency.MustCurryWith(l),
		faults:    e.faults.MustCurryWith(l),
		entries:   e.conntrackEntries.MustCurryWith(l),
		limit:     e.conntrackLimit.MustCurryWith(l),
		endpoints: e.endpoints.MustCurryWith(l),
		targets:   e.targets.MustCurryWith(l),
		states:    map[string]map[string]bool{},
		series:    map[resultKey]resultSeries{},
	}
}

// LoadStarted implements run.Observer.
func (o *Observer) LoadStarted(t0 time.Time, schedule *load.PhasePacer, inflight *metric.InFlight) {
	o.e.load.started(o.scenario, &loadState{t0: t0, schedule: schedule, inflight: inflight})
}

// LoadEnded implements run.Observer.
func (o *Observer) LoadEnded() { o.e.load.ended(o.scenario) }

// Result implements run.Observer: a result counts as a failure as the
// report counts it (metric.DefaultSuccess), with its metric.Classify class.
func (o *Observer) Result(r *vegeta.Result) {
	k := resultKey{attack: r.Attack, code: r.Code}
	failed := r.Code == 0 || !metric.DefaultSuccess(r.Code)
	if failed {
		k.class = metric.Classify(r)
	}
	s, ok := o.series[k]
	if !ok {
		code := strconv.Itoa(int(r.Code))
		s = resultSeries{requests: o.requests.WithLabelValues(r.Attack, code), latency: o.latency.WithLabelValues(r.Attack)}
		if failed {
			s.failures = o.failures.WithLabelValues(r.Attack, code, k.class)
		}
		o.series[k] = s
	}
	s.requests.Inc()
	if s.failures != nil {
		s.failures.Inc()
	}
	s.latency.Observe(max(r.Latency, 0).Seconds())
}

// Fault implements run.Observer.
func (o *Observer) Fault(name, action string, active bool) {
	v := 0.0
	if active {
		v = 1
	}
	o.faults.WithLabelValues(name, action).Set(v)
}

// Conntrack implements sample.Observer.
func (o *Observer) Conntrack(node string, p sample.Point) {
	o.entries.WithLabelValues(node).Set(float64(p.Count))
	o.limit.WithLabelValues(node).Set(float64(p.Max))
	o.dropped.WithLabelValues(node).Add(float64(p.Drops))
}

// Endpoints implements sample.Observer.
func (o *Observer) Endpoints(e sample.Endpoints) {
	for state, addrs := range map[string][]string{
		"ready": e.Ready, "terminating": e.Terminating, "terminating_serving": e.TerminatingServing, "not_ready": e.NotReady,
	} {
		o.endpoints.WithLabelValues(e.Service, state).Set(float64(len(addrs)))
	}
}

// TargetHealth implements sample.Observer.
func (o *Observer) TargetHealth(s elbv2.Sample) {
	o.mu.Lock()
	defer o.mu.Unlock()
	seen := o.states[s.TargetGroup]
	if seen == nil {
		seen = map[string]bool{}
		o.states[s.TargetGroup] = seen
	}
	for state := range s.Counts {
		seen[state] = true
	}
	for state := range seen {
		o.targets.WithLabelValues(s.TargetGroup, state).Set(float64(s.Counts[state]))
	}
}
