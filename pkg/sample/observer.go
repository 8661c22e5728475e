package sample

import "github.com/drillkit/drill/pkg/elbv2"

// Observer receives what the samplers read, as they read it: the run's
// live metrics. Its methods are called from the samplers' goroutines
// until their Stop returns, and must be quick and safe for concurrent use.
type Observer interface {
	// Conntrack is one sample of a node's conntrack table: its count and
	// limit, and the connections it could not take since the previous
	// sample (as Datapath counts them).
	Conntrack(node string, p Point)
	// Endpoints is a Service's endpoints after a change (EndpointWatch).
	Endpoints(e Endpoints)
	// TargetHealth is one read of a target group's health (TargetHealth).
	TargetHealth(s elbv2.Sample)
}

// WithObserver is a Sampler whose readings an Observer can receive.
// Observe is called before Start.
type WithObserver interface {
	Sampler
	Observe(o Observer)
}

// Observe passes o to every sampler of the group that has readings for it.
func (g *Group) Observe(o Observer) {
	for _, s := range g.samplers {
		if w, ok := s.(WithObserver); ok {
			w.Observe(o)
		}
	}
}

var (
	_ WithObserver = (*Group)(nil)
	_ WithObserver = (*DatapathSampler)(nil)
	_ WithObserver = (*TargetHealth)(nil)
	_ WithObserver = (*Watch)(nil)
)
