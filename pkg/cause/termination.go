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
	// exit is when it had exited at the latest: its terminated state seen,
	// or the second after its finishedAt when that is earlier (none: not
	// seen).
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
		// finishedAt has whole seconds: the exit came before the next one,
		// which may be before the kubelet's status update was seen.
		if fin, err := time.Parse(time.RFC3339, f[report.FieldFinishedAt]); err == nil && !x.in.Start.IsZero() {
			c.exit = min(c.exit, fin.Add(time.Second).Sub(x.in.Start))
		}
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

// termination is one container's termination: its preStop hook's start
// and length, its SIGTERM and its exit, as far as the evidence tells
// (none: not known).
type termination struct {
	start, preStop, sigterm, exit time.Duration
}

// terminationOf measures c of a pod whose deletion was seen at deleted,
// with the deletion's grace period (negative: unknown). The preStop starts
// at the kubelet's Killing event, else at the deletion.
//
//   - Without a preStop hook it lasts 0, and SIGTERM comes at its start
//     (or when the app's termination message says).
//   - A sleep action lasts its seconds, cut at the grace period (the
//     kubelet's own timer); SIGTERM comes then, or when the app says.
//   - Otherwise SIGTERM is when the app says, else at the
//     FailedPreStopHook event, and the hook lasts from its start to it.
//     When neither tells (an exec or httpGet hook, the app silent), only
//     their sum is known (exit - start) and both are none.
func terminationOf(c *container, deleted time.Duration, grace time.Duration) termination {
	tm := termination{start: deleted, preStop: none, sigterm: none, exit: c.exit}
	for _, k := range c.killings {
		if k >= deleted-killingWindow {
			tm.start = k
			break
		}
	}
	switch {
	case c.preStop == "none":
		tm.preStop, tm.sigterm = 0, tm.start
	case c.preStop == "sleep" && c.sleep >= 0:
		tm.preStop = c.sleep
		if grace >= 0 && tm.preStop > grace {
			tm.preStop = grace
		}
		tm.sigterm = tm.start + tm.preStop
	case c.preStopFailed != none && c.preStopFailed >= tm.start:
		tm.sigterm = c.preStopFailed
	}
	if c.sigterm != none {
		tm.sigterm = c.sigterm
	}
	if tm.preStop == none && tm.sigterm != none {
		tm.preStop = max(tm.sigterm-tm.start, 0)
	}
	return tm
}

// preStopLength is the preStop hook's duration (0 without one).
func (tm termination) preStopLength() (time.Duration, bool) {
	return tm.preStop, tm.preStop != none
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
	return p.longest(termination.preStopLength)
}

// sigtermToExit is the longest SIGTERM → exit of the pod's containers.
func (p *pod) sigtermToExit() (time.Duration, bool) {
	return p.longest(termination.sigtermToExit)
}

func (p *pod) longest(of func(termination) (time.Duration, bool)) (time.Duration, bool) {
	var out time.Duration
	found := false
	for _, c := range p.containers {
		if c.exit == none || c.exit < p.terminating {
			// Not seen to exit, or it exited (crashed) before the deletion.
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
