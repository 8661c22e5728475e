package run

import (
	"context"
	"slices"

	"github.com/drillkit/drill/pkg/agent"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
)

// attachSamplers starts the run's samplers on a cluster target: the
// watches of the pods, of the kubelet's termination events and of the
// Services' endpoints, the node agents
// (scenario sample.nodes) and the load balancer's target health
// (sample.loadBalancer), each putting what it sees on the timeline. The
// run goes on without one that cannot start; the report notes it.
func (st *runState) attachSamplers(ctx context.Context) {
	sc, sys := st.sc, st.sys
	if sys.cluster == nil {
		return
	}
	samplers := []sample.Sampler{
		sample.PodWatch(sys.cluster.Client, sys.namespace),
		sample.KubeletEventWatch(sys.cluster.Client, sys.namespace),
		sample.EndpointWatch(sys.cluster.Client, sys.namespace),
	}
	if len(sc.Sample.Nodes) > 0 {
		st.datapath = sample.NewDatapath()
		nodes := sample.NewNodeSampler(sys.cluster.Client, sample.AgentConfig{Parts: append(slices.Clone(sc.Sample.Nodes), agent.PartKubeProxy)})
		samplers = append(samplers, nodes.Every(sc.Sample.Interval, st.datapath))
	}
	if sys.elb != nil && len(sys.groups) > 0 && sc.Sample.LoadBalancer {
		samplers = append(samplers, sample.NewTargetHealth(sys.elb, sys.groups, sc.Sample.Interval))
	}
	st.samplers = sample.NewGroup(samplers...)
	st.samplers.SetEvents(func(e sample.Event) { st.noteFields(eventKind(e.Kind), e.Source, e.Message, e.Fields) })
	if obs := st.opts.Observer; obs != nil {
		st.samplers.Observe(obs)
	}
	st.samplingFailed(st.samplers.Start(ctx))
}

// detachSamplers stops the samplers: once it returns, all they saw is in
// the run's state, and what went wrong with them is noted.
func (st *runState) detachSamplers() {
	st.samplingFailed(st.samplers.Stop())
}

// samplingFailed notes every failure joined in err in the report.
func (st *runState) samplingFailed(err error) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, e := range errs {
		st.notes = append(st.notes, "sampling failed: "+e.Error())
	}
}

// eventKind is the report's kind of a sampler's event.
func eventKind(k sample.EventKind) report.EventKind {
	switch k {
	case sample.EventPod:
		return report.EventPod
	case sample.EventEndpoint:
		return report.EventEndpoint
	case sample.EventTarget:
		return report.EventTarget
	default:
		return report.EventSample
	}
}
