package cause

import (
	"strconv"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// container is what the timeline says of one container's termination.
type container struct {
	// killings are the kubelet's Killing events seen (several when a probe
	// restarted the container before).
	killings []time.Duration
	// preStopFailed is the FailedPreStopHook event (none: not seen).
	preStopFailed time.Duration
	// exit is when its terminated state was seen (none: not seen).
	exit time.Duration
	// sigterm is when the app got SIGTERM by its termination message
	// (none: it did not say).
	sigterm time.Duration
	// preStop is its preStop handler ("" until its exit was seen); sleep
	// the sleep action's length.
	preStop string
	sleep   time.Duration
}

func newContainer() *container {
	return &container{preStopFailed: none, exit: none, sigterm: none, sleep: -1}
}

func (p *pod) container(name string) *container {
	if p.containers == nil {
		p.containers = map[string]*container{}
	}
	c := p.containers[name]
	if c == nil {
		c = newContainer()
		p.containers[name] = c
	}
	return c
}

// addTermination records a container's killing, prestop-failed or exited
// change.
func (x *Index) addTermination(p *pod, e report.Event) {
	f := e.Fields
	c := p.container(f[report.FieldContainer])
	switch f[report.FieldChange] {
	case report.PodKilling:
		c.killings = append(c.killings, e.T)
	case report.PodPreStopFailed:
		if c.preStopFailed == none {
			c.preStopFailed = e.T
		}
	case report.PodExited:
		c.exit = e.T
		c.preStop = f[report.FieldPreStop]
		if s, err := strconv.ParseInt(f[report.FieldPreStopSleep], 10, 64); err == nil {
			c.sleep = time.Duration(s) * time.Second
		}
		if t, err := time.Parse(time.RFC3339Nano, f[report.FieldSigterm]); err == nil && !x.in.Start.IsZero() {
			c.sigterm = t.Sub(x.in.Start)
		}
	}
}

// killingWindow is how much earlier than the pod's deletion a Killing
// event may be seen and still belong to it: the two come by different
// watches.
const killingWindow = time.Second

// termination is one container's termination timings: its preStop's
// start, the SIGTERM and its exit, as far as the evidence tells.
type termination struct {
	start, sigterm, exit time.Duration
}

// terminationOf measures c of a pod whose deletion was seen at deleted,
// with the deletion's grace period (negative: unknown). The preStop
// starts at the kubelet's Killing event, else at the deletion. SIGTERM is
// known, in this order: at the start for a container without a preStop
// hook (or when its termination message says, the preStop being 0); from
// the app's termination message; at the FailedPreStopHook event;
// at the start plus a sleep action's length, cut at the grace period.
// Otherwise (an exec or httpGet hook that did not fail, the app silent)
// it is none: only the sum of both is known (exit - start).
func terminationOf(c *container, deleted time.Duration, grace time.Duration) termination {
	tm := termination{start: deleted, sigterm: none, exit: c.exit}
	for _, k := range c.killings {
		if k >= deleted-killingWindow {
			tm.start = k
			break
		}
	}
	switch {
	case c.preStop == "none":
		if c.sigterm != none {
			tm.start = c.sigterm
		}
		tm.sigterm = tm.start
	case c.sigterm != none:
		tm.sigterm = c.sigterm
	case c.preStopFailed != none && c.preStopFailed >= tm.start:
		tm.sigterm = c.preStopFailed
	case c.preStop == "sleep" && c.sleep >= 0:
		d := c.sleep
		if grace >= 0 && d > grace {
			d = grace
		}
		tm.sigterm = tm.start + d
	}
	return tm
}

// preStop is the preStop hook's duration (0 without one).
func (tm termination) preStop() (time.Duration, bool) {
	if tm.sigterm == none {
		return 0, false
	}
	if d := tm.sigterm - tm.start; d > 0 {
		return d, true
	}
	return 0, true
}

// sigtermToExit is SIGTERM → exit.
func (tm termination) sigtermToExit() (time.Duration, bool) {
	if tm.sigterm == none || tm.exit == none {
		return 0, false
	}
	return tm.exit - tm.sigterm, true
}

// preStopDuration is the longest preStop of the pod's containers; ok only
// when every container that exited has it measured.
func (p *pod) preStopDuration() (time.Duration, bool) {
	return p.longest(termination.preStop)
}

// sigtermToExit is the longest SIGTERM → exit of the pod's containers.
func (p *pod) sigtermToExit() (time.Duration, bool) {
	return p.longest(termination.sigtermToExit)
}

func (p *pod) longest(of func(termination) (time.Duration, bool)) (time.Duration, bool) {
	var out time.Duration
	found := false
	for _, c := range p.containers {
		if c.exit == none {
			continue
		}
		d, ok := of(terminationOf(c, p.terminating, p.grace))
		if !ok {
			return 0, false
		}
		if !found || d > out {
			out, found = d, true
		}
	}
	return out, found
}
