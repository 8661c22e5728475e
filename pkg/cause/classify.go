package cause

import (
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// Windows of the decisions (docs/causes.md).
const (
	// dropWindow widens a request's span when looking for conntrack drops:
	// samples are taken every sample.interval, and a dropped SYN is sent
	// again after 1 s, 3 s, ...
	dropWindow = 2 * time.Second
	// probeWindow is how long before a request drops may have failed the
	// readiness probes that left no endpoint ready.
	probeWindow = 60 * time.Second
	// propagationWindow is how long after an endpoint's removal a new
	// connection refused or timed out is put down to kube-proxy's lag.
	propagationWindow = 30 * time.Second
	// reuseWindow is how long after an endpoint's removal a failure on a
	// kept-alive connection is put down to that connection.
	reuseWindow = 5 * time.Minute
	// maxReasons bounds the distinct reasons kept for unknown.
	maxReasons = 100
)

const nCauses = 7

var causeIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range report.CauseNames() {
		m[c] = i
	}
	return m
}()

// Classifier decides the cause of every failed result streamed through
// Add, with constant work per successful result and a bounded search per
// failed one; it keeps counts per second, never the results.
type Classifier struct {
	x       *Index
	lb      *balancerLog
	backend string

	failures uint64
	total    [nCauses]uint64
	seconds  [][nCauses]uint64
	reasons  map[string]uint64
	served   map[string]time.Duration // backend → end of its last response
}

// New returns a Classifier over in.
func New(in Input) *Classifier {
	c := &Classifier{x: NewIndex(in), lb: newBalancerLog(in.Balancer), reasons: map[string]uint64{}, served: map[string]time.Duration{}}
	if in.BackendHeader != "" {
		c.backend = http.CanonicalHeaderKey(in.BackendHeader)
	}
	return c
}

// Index is the timeline the Classifier joins results with.
func (c *Classifier) Index() *Index { return c.x }

// Add takes one result into account. It is not safe for concurrent use.
func (c *Classifier) Add(r *vegeta.Result) {
	t := r.Timestamp.Sub(c.x.in.Start)
	if r.Code != 0 && metric.DefaultSuccess(r.Code) {
		c.servedBy(r, t+r.Latency)
		return
	}
	cause, reason := c.decide(r, t)
	i := causeIndex[cause]
	c.failures++
	c.total[i]++
	sec := 0
	if t > 0 {
		sec = int(min(t/time.Second, 1<<20-1))
	}
	for len(c.seconds) <= sec {
		c.seconds = append(c.seconds, [nCauses]uint64{})
	}
	c.seconds[sec][i]++
	if cause == report.CauseUnknown {
		if _, kept := c.reasons[reason]; !kept && len(c.reasons) >= maxReasons {
			reason = "(other reasons)"
		}
		c.reasons[reason]++
	}
}

// servedBy keeps when the backend a successful result names last
// answered.
func (c *Classifier) servedBy(r *vegeta.Result, end time.Duration) {
	if c.backend == "" {
		return
	}
	v := r.Headers[c.backend]
	if len(v) == 0 || v[0] == "" {
		return
	}
	prev, seen := c.served[v[0]]
	if seen && prev < end || !seen && len(c.served) < metric.MaxBackends {
		c.served[v[0]] = end
	}
}

// decide is the cause of one failed result sent at t, with the reason
// when it is unknown.
func (c *Classifier) decide(r *vegeta.Result, t time.Duration) (string, string) {
	x := c.x
	end := t + r.Latency
	if metric.Classify(r) == metric.ClassCancelled {
		return report.CauseUnknown, "cancelled when the run stopped"
	}
	rec := c.lb.match(r.Timestamp, r.Latency, r.Code)
	if rec != nil && rec.Outcome == OutcomeOK && rec.Status >= 500 {
		return report.CauseAppError, ""
	}
	if rec == nil && r.Code >= 500 && c.backend != "" && len(r.Headers[c.backend]) > 0 {
		return report.CauseAppError, ""
	}
	if x.in.Target == report.TargetURL {
		return report.CauseUnknown, "url target: no cluster timeline to join"
	}
	if rec == nil {
		return c.withoutRecord(r, t, end)
	}
	if rec.Target == "" {
		if rec.Outcome == OutcomeNoTargets {
			return report.CauseBeforeReady, ""
		}
		return report.CauseUnknown, "load balancer: " + rec.Outcome + " without a target"
	}
	id := targetID(rec.Target)
	if isAddress(id) {
		return c.ipTarget(rec, id, t, end)
	}
	return c.instanceTarget(rec, id, t, end)
}

// connectFailure reports whether a load balancer outcome is a connection
// that could not be opened or a request never answered: what a dropped
// packet gives.
func connectFailure(outcome string) bool {
	switch outcome {
	case OutcomeConnectTimeout, OutcomeConnectError, OutcomeConnectRefused, OutcomeResponseTimeout, OutcomeClientClosed:
		return true
	}
	return false
}

// closedFailure reports whether an outcome is a connection the target
// closed or cut.
func closedFailure(outcome string) bool {
	switch outcome {
	case OutcomeTargetClosed, OutcomeBodyError, OutcomeDeregistrationCut:
		return true
	}
	return false
}

func (c *Classifier) ipTarget(rec *BalancerFailure, ip string, t, end time.Duration) (string, string) {
	x := c.x
	p := x.podAt(ip, t)
	node := ""
	if p != nil {
		node = p.node
	}
	if connectFailure(rec.Outcome) && x.dropsNear(node, t-dropWindow, end+dropWindow) {
		return report.CauseDatapathDrop, ""
	}
	if p == nil {
		return report.CauseUnknown, fmt.Sprintf("target %s: no pod with that address on the timeline", rec.Target)
	}
	if p.terminating != none && p.terminating <= end {
		if st := x.stateAt(rec.Target, t); rec.Reused && (st == StateDraining || st == "") && x.targets[rec.Target] != nil {
			return report.CauseConnectionReuse, ""
		}
		return report.CauseDeregistrationLag, ""
	}
	if p.ready == none && p.firstSeen > 0 || p.ready > t || rec.TargetState == StateInitial || rec.TargetState == StateUnhealthy {
		return report.CauseBeforeReady, ""
	}
	return report.CauseUnknown, fmt.Sprintf("target %s: pod %s ready and not terminating", rec.Target, p.name)
}

func (c *Classifier) instanceTarget(rec *BalancerFailure, node string, t, end time.Duration) (string, string) {
	x := c.x
	if connectFailure(rec.Outcome) && x.dropsNear(node, t-dropWindow, end+dropWindow) {
		return report.CauseDatapathDrop, ""
	}
	if x.noneReady(t) {
		if x.dropsNear("", t-probeWindow, end) {
			return report.CauseDatapathDrop, ""
		}
		return report.CauseBeforeReady, ""
	}
	if rec.Reused && closedFailure(rec.Outcome) {
		if _, ok := x.lastRemoval(t-reuseWindow, end); ok {
			return report.CauseConnectionReuse, ""
		}
	}
	if rm, ok := x.lastRemoval(t-propagationWindow, end); ok && !rec.Reused {
		synced, sampled := x.syncedBetween(node, rm.t, t)
		if !sampled || !synced {
			return report.CauseEndpointPropagation, ""
		}
		return report.CauseUnknown, fmt.Sprintf("node %s: new connection failed after kube-proxy synced the removal of %s", node, rm.addr)
	}
	if _, ok := x.lastUnready(t-propagationWindow, end); ok && !rec.Reused && x.dropsNear("", t-probeWindow, end) {
		// An endpoint failed its readiness probe while tables dropped:
		// the probes were lost to the drops.
		return report.CauseDatapathDrop, ""
	}
	if rec.TargetState == StateInitial || rec.TargetState == StateUnhealthy {
		if x.dropsNear("", t-probeWindow, end) {
			return report.CauseDatapathDrop, ""
		}
		return report.CauseBeforeReady, ""
	}
	if x.dropsNear(node, t-dropWindow, end+dropWindow) {
		return report.CauseDatapathDrop, ""
	}
	return report.CauseUnknown, fmt.Sprintf("node %s: %s with every endpoint in place", node, rec.Outcome)
}

// withoutRecord decides from the timeline alone: a cluster target without
// a load balancer log, or a request whose record was not found.
func (c *Classifier) withoutRecord(r *vegeta.Result, t, end time.Duration) (string, string) {
	x := c.x
	class := metric.Classify(r)
	connectish := class == metric.ClassTimeout || class == metric.ClassRefused || class == metric.ClassReset || r.Code == 502 || r.Code == 504
	if connectish && x.dropsNear("", t-dropWindow, end+dropWindow) {
		return report.CauseDatapathDrop, ""
	}
	if x.in.BalancerLogged {
		// The load balancer logged every failure at a target: this one
		// failed on the way to it, or the log lost it.
		return report.CauseUnknown, fmt.Sprintf("%s: no load balancer record of the request", describe(r))
	}
	// A pod terminating whose target was still routed.
	for _, p := range x.pods {
		if p.terminating == none || p.terminating > end || p.ip == "" {
			continue
		}
		for _, key := range x.byID[p.ip] {
			if st := x.stateAt(key, t); st == StateHealthy {
				return report.CauseDeregistrationLag, ""
			}
		}
	}
	if rm, ok := x.lastRemoval(t-propagationWindow, end); ok && connectish {
		stale := len(x.syncs) == 0
		for node := range x.syncs {
			if synced, _ := x.syncedBetween(node, rm.t, t); !synced {
				stale = true
			}
		}
		if stale {
			return report.CauseEndpointPropagation, ""
		}
	}
	if _, ok := x.lastUnready(t-propagationWindow, end); ok && connectish && x.dropsNear("", t-probeWindow, end) {
		return report.CauseDatapathDrop, ""
	}
	return report.CauseUnknown, fmt.Sprintf("%s: no load balancer log, and nothing on the timeline explains it", describe(r))
}

// describe names a failure's status or error class.
func describe(r *vegeta.Result) string {
	if r.Code != 0 {
		return fmt.Sprintf("status %d", r.Code)
	}
	return metric.Classify(r)
}
