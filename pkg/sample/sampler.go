package sample

import (
	"context"
	"errors"
)

// Sampler observes the system under test while a run goes on. Start
// returns once sampling is under way; Stop ends it, waits until it has
// ended and returns what went wrong while it ran. What a sampler
// contributes besides is found by type assertion: WithEvents, WithValues.
type Sampler interface {
	Start(ctx context.Context) error
	Stop() error
}

// WithEvents is a Sampler that puts what it sees on the run's timeline.
// SetEvents is called before Start; emit may be called from any
// goroutine until Stop returns, and not after.
type WithEvents interface {
	Sampler
	SetEvents(emit func(Event))
}

// WithValues is a Sampler that measures values checks can use (a metric
// name and its value), read while the run goes on and after Stop.
type WithValues interface {
	Sampler
	Values() map[string]float64
}

// Event is one change a sampler saw, for the run's timeline.
type Event struct {
	Kind EventKind
	// Source is what changed: a pod, a Service, a node, a target.
	Source  string
	Message string
	// Fields is the change in structured form (report.Field* keys).
	Fields map[string]string
}

// EventKind says what an Event is about.
type EventKind int

// The kinds of Event.
const (
	EventPod      EventKind = iota // a pod was created, became (not) ready, ...
	EventEndpoint                  // a Service's endpoints changed
	EventTarget                    // a load balancer target changed state
	EventNode                      // a node's datapath sample said something
)

// Group starts samplers together and stops them together.
type Group struct {
	samplers []Sampler
	started  []Sampler
}

// NewGroup returns a group of samplers; nil ones are left out.
func NewGroup(samplers ...Sampler) *Group {
	g := &Group{}
	for _, s := range samplers {
		if s != nil {
			g.samplers = append(g.samplers, s)
		}
	}
	return g
}

// SetEvents passes emit to every sampler of the group that puts events
// on the timeline.
func (g *Group) SetEvents(emit func(Event)) {
	for _, s := range g.samplers {
		if e, ok := s.(WithEvents); ok {
			e.SetEvents(emit)
		}
	}
}

// Start starts every sampler. One that fails to start is left out, and
// the run goes on without it: Start returns the failures joined.
func (g *Group) Start(ctx context.Context) error {
	var errs []error
	for _, s := range g.samplers {
		if err := s.Start(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		g.started = append(g.started, s)
	}
	return errors.Join(errs...)
}

// Stop stops every sampler that started, last first, and returns what
// went wrong, joined.
func (g *Group) Stop() error {
	var errs []error
	for i := len(g.started) - 1; i >= 0; i-- {
		errs = append(errs, g.started[i].Stop())
	}
	g.started = nil
	return errors.Join(errs...)
}

// Values merges the values of every sampler that measures some.
func (g *Group) Values() map[string]float64 {
	var out map[string]float64
	for _, s := range g.samplers {
		v, ok := s.(WithValues)
		if !ok {
			continue
		}
		for name, x := range v.Values() {
			if out == nil {
				out = map[string]float64{}
			}
			out[name] = x
		}
	}
	return out
}

var (
	_ WithEvents = (*Group)(nil)
	_ WithValues = (*Group)(nil)
)
