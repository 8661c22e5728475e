package cause

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// Input is what the analysis joins failed requests with: a report's
// timeline and samples, and the load balancer's failures when it logged
// them.
type Input struct {
	// Start is t=0 of the run; every offset below is from it.
	Start  time.Time
	Target report.TargetKind
	Events []report.Event
	// Conntrack and KubeProxy are the nodes' samples.
	Conntrack []report.ConntrackSeries
	KubeProxy []report.KubeProxySeries
	// Balancer are the load balancer's failures; BalancerLogged says the
	// load balancer kept a log (so a failure without a record did not
	// reach a target).
	Balancer       []BalancerFailure
	BalancerLogged bool
	// BackendHeader names the response header naming the pod.
	BackendHeader string
}

// InputOf is the input of a report r, with the load balancer's failures
// when it had them.
func InputOf(r *report.Report, balancer []BalancerFailure, logged bool, backendHeader string) Input {
	return Input{Start: r.StartedAt, Target: r.Target.Kind, Events: r.Events, Conntrack: r.Conntrack, KubeProxy: r.KubeProxy,
		Balancer: balancer, BalancerLogged: logged, BackendHeader: backendHeader}
}

// none marks a moment that did not happen.
const none = time.Duration(-1 << 63)

// pod is what the timeline says of one pod.
type pod struct {
	name, ip, node string
	firstSeen      time.Duration
	ready          time.Duration // first became ready (none: not seen)
	terminating    time.Duration
	deleted        time.Duration
	// removed is when its address left the ready endpoints after it began
	// terminating (none: not seen).
	removed time.Duration
	// grace is the deletion's grace period (negative: not known).
	grace time.Duration
	// containers are its containers' terminations, by name.
	containers map[string]*container
}

// transition is a target's change of state.
type transition struct {
	t  time.Duration
	to string
}

// snapshot is a Service's endpoints at a moment.
type snapshot struct {
	t     time.Duration
	ready []string
}

// removal is an address leaving a Service's ready endpoints: for
// removals, because its pod is terminating or the address left the
// Service's endpoints altogether (its pod deleted, or no longer selected);
// for unready, because it failed its readiness probe.
type removal struct {
	t       time.Duration
	service string
	addr    string
}

// dropSpan is a node sample that counted conntrack drops since the
// previous one: from..to.
type dropSpan struct {
	from, to time.Duration
	drops    uint64
}

// Index is the timeline arranged for lookups by address, target, node and
// time.
type Index struct {
	in       Input
	pods     map[string]*pod   // by name
	byIP     map[string][]*pod // in order of appearance
	targets  map[string][]transition
	byID     map[string][]string // target id (pod address or node) → keys
	services map[string][]snapshot
	removals []removal
	unready  []removal
	drops    map[string][]dropSpan
	syncs    map[string][]time.Duration
	sources  []string
}

// NewIndex arranges in.
func NewIndex(in Input) *Index {
	x := &Index{in: in, pods: map[string]*pod{}, byIP: map[string][]*pod{}, targets: map[string][]transition{},
		byID: map[string][]string{}, services: map[string][]snapshot{}, drops: map[string][]dropSpan{}, syncs: map[string][]time.Duration{}}
	events := append([]report.Event(nil), in.Events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].T < events[j].T })
	seen := map[string]bool{}
	// Pods first: an endpoint change is judged by its pod's deletion, which
	// the pod watch may deliver after it.
	for _, e := range events {
		if e.Kind == report.EventPod && len(e.Fields) > 0 {
			x.addPod(e)
			seen["pods"] = true
		}
	}
	for _, e := range events {
		if len(e.Fields) == 0 {
			continue
		}
		switch e.Kind {
		case report.EventEndpoint:
			x.addEndpoints(e)
			seen["endpoints"] = true
		case report.EventTarget:
			if key := e.Fields[report.FieldTarget]; key != "" {
				if len(x.targets[key]) == 0 {
					id := targetID(key)
					x.byID[id] = append(x.byID[id], key)
				}
				x.targets[key] = append(x.targets[key], transition{e.T, e.Fields[report.FieldTo]})
				seen["target health"] = true
			}
		}
	}
	for _, s := range in.Conntrack {
		for i := 1; i < len(s.Points); i++ {
			if p := s.Points[i]; p.Drops > 0 {
				x.drops[s.Node] = append(x.drops[s.Node], dropSpan{s.Points[i-1].T, p.T, p.Drops})
			}
		}
		seen["conntrack"] = true
	}
	for _, s := range in.KubeProxy {
		x.syncs[s.Node] = s.Syncs
		seen["kube-proxy"] = true
	}
	if in.BalancerLogged {
		seen["load balancer log"] = true
	}
	for _, s := range []string{"load balancer log", "pods", "endpoints", "target health", "conntrack", "kube-proxy"} {
		if seen[s] {
			x.sources = append(x.sources, s)
		}
	}
	return x
}

func (x *Index) addPod(e report.Event) {
	f := e.Fields
	name := f[report.FieldPod]
	if name == "" {
		return
	}
	p := x.pods[name]
	if p == nil {
		p = &pod{name: name, firstSeen: e.T, ready: none, terminating: none, deleted: none, removed: none, grace: -1}
		x.pods[name] = p
	}
	if ip := f[report.FieldIP]; ip != "" && p.ip == "" {
		p.ip = ip
		x.byIP[ip] = append(x.byIP[ip], p)
	}
	if n := f[report.FieldNode]; n != "" {
		p.node = n
	}
	switch f[report.FieldChange] {
	case report.PodReady:
		if p.ready == none {
			p.ready = e.T
		}
	case report.PodTerminating:
		if p.terminating == none {
			p.terminating = e.T
		}
		if g, err := strconv.ParseInt(f[report.FieldGrace], 10, 64); err == nil {
			p.grace = time.Duration(g) * time.Second
		}
	case report.PodKilling, report.PodPreStopFailed, report.PodExited:
		x.addTermination(p, e)
	case report.PodDeleted:
		p.deleted = e.T
		if p.terminating == none {
			p.terminating = e.T
		}
	}
}

func (x *Index) addEndpoints(e report.Event) {
	svc := e.Fields[report.FieldService]
	ready := splitList(e.Fields[report.FieldReady])
	notReady := splitList(e.Fields[report.FieldNotReady])
	snaps := x.services[svc]
	if n := len(snaps); n > 0 {
		for _, a := range snaps[n-1].ready {
			if contains(ready, a) {
				continue
			}
			if contains(notReady, a) && !x.terminatingBy(a, e.T) {
				x.unready = append(x.unready, removal{e.T, svc, a})
				continue
			}
			x.removals = append(x.removals, removal{e.T, svc, a})
			for _, p := range x.byIP[a] {
				if p.terminating != none && p.removed == none && p.terminating <= e.T+time.Second {
					p.removed = e.T
				}
			}
		}
	}
	x.services[svc] = append(snaps, snapshot{e.T, ready})
}

// terminatingBy reports whether a pod with address ip had begun
// terminating by t (or within the second after: the pod and endpoint
// watches deliver separately).
func (x *Index) terminatingBy(ip string, t time.Duration) bool {
	for _, p := range x.byIP[ip] {
		if p.terminating != none && p.terminating <= t+time.Second {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// targetID is the id part of a target key (id:port).
func targetID(key string) string {
	if host, _, err := net.SplitHostPort(key); err == nil {
		return host
	}
	return key
}

// isAddress reports whether a target id is an address (ip target) rather
// than a node (instance target).
func isAddress(id string) bool { return net.ParseIP(id) != nil }

// podAt is the pod that had address ip at t: the last one seen before t,
// else the first.
func (x *Index) podAt(ip string, t time.Duration) *pod {
	l := x.byIP[ip]
	var best *pod
	for _, p := range l {
		if best == nil || p.firstSeen <= t {
			best = p
		}
	}
	return best
}

// stateAt is a target's state at t ("" before its first sample, or when
// it was not sampled).
func (x *Index) stateAt(key string, t time.Duration) string {
	l := x.targets[key]
	i := sort.Search(len(l), func(i int) bool { return l[i].t > t })
	if i == 0 {
		return ""
	}
	return l[i-1].to
}

// dropsNear reports whether node (every node when "") counted conntrack
// drops in a sample interval overlapping from..to.
func (x *Index) dropsNear(node string, from, to time.Duration) bool {
	check := func(l []dropSpan) bool {
		for _, d := range l {
			if d.from <= to && d.to >= from {
				return true
			}
		}
		return false
	}
	if node != "" {
		if l, ok := x.drops[node]; ok {
			return check(l)
		}
	}
	for _, l := range x.drops {
		if check(l) {
			return true
		}
	}
	return false
}

// lastRemoval is the latest address removed from a Service's ready
// endpoints in from..to (its pod terminating or the address gone).
func (x *Index) lastRemoval(from, to time.Duration) (removal, bool) {
	return lastIn(x.removals, from, to)
}

// lastUnready is the latest address that left a Service's ready
// endpoints in from..to by failing its readiness probe.
func (x *Index) lastUnready(from, to time.Duration) (removal, bool) {
	return lastIn(x.unready, from, to)
}

func lastIn(l []removal, from, to time.Duration) (removal, bool) {
	i := sort.Search(len(l), func(i int) bool { return l[i].t > to })
	if i > 0 && l[i-1].t >= from {
		return l[i-1], true
	}
	return removal{}, false
}

// noneReady reports whether every Service with endpoints had none ready
// at t.
func (x *Index) noneReady(t time.Duration) bool {
	any := false
	for _, snaps := range x.services {
		i := sort.Search(len(snaps), func(i int) bool { return snaps[i].t > t })
		if i == 0 {
			continue
		}
		any = true
		if len(snaps[i-1].ready) > 0 {
			return false
		}
	}
	return any
}

// syncedBetween reports whether node's kube-proxy synced in from..to; ok
// is false when its syncs were not sampled.
func (x *Index) syncedBetween(node string, from, to time.Duration) (synced, ok bool) {
	l, ok := x.syncs[node]
	if !ok {
		return false, false
	}
	i := sort.Search(len(l), func(i int) bool { return l[i] >= from })
	return i < len(l) && l[i] <= to, true
}

// firstSyncAfter is node's first sampled kube-proxy sync at or after t.
func (x *Index) firstSyncAfter(node string, t time.Duration) (time.Duration, bool) {
	l := x.syncs[node]
	i := sort.Search(len(l), func(i int) bool { return l[i] >= t })
	if i == len(l) {
		return 0, false
	}
	return l[i], true
}

// firstTo is a target's first transition to one of states at or after t.
func (x *Index) firstTo(key string, t time.Duration, states ...string) (time.Duration, bool) {
	for _, tr := range x.targets[key] {
		if tr.t >= t && contains(states, tr.to) {
			return tr.t, true
		}
	}
	return 0, false
}

// Sources names what the index holds.
func (x *Index) Sources() []string { return x.sources }
