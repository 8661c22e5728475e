package sample

import (
	"context"
	"fmt"
	"time"
)

// DatapathSampler reads the node agents every interval into a Datapath
// from Start until Stop, and puts on the timeline what belongs there:
// Datapath.Add's notes, and a node's agent becoming unreadable (once,
// until it is readable again).
type DatapathSampler struct {
	nodes    *NodeSampler
	interval time.Duration
	d        *Datapath
	emit     func(Event)
	obs      Observer

	failing map[string]string // node → last error put on the timeline
	cancel  context.CancelFunc
	wait    func()
}

// Every returns a Sampler that reads the agents every interval into d.
func (s *NodeSampler) Every(interval time.Duration, d *Datapath) *DatapathSampler {
	return &DatapathSampler{nodes: s, interval: interval, d: d, failing: map[string]string{}}
}

// SetEvents implements WithEvents.
func (p *DatapathSampler) SetEvents(emit func(Event)) { p.emit = emit }

// Observe implements WithObserver: o receives every node's conntrack
// sample.
func (p *DatapathSampler) Observe(o Observer) { p.obs = o }

// Values implements WithValues: the Datapath's values.
func (p *DatapathSampler) Values() map[string]float64 { return p.d.Values() }

// Start implements Sampler: it reads every agent once, and fails when it
// finds none, before it goes on in the background.
func (p *DatapathSampler) Start(ctx context.Context) error {
	if p.interval <= 0 {
		return fmt.Errorf("node sampling: the interval %s must be positive", p.interval)
	}
	first, err := p.nodes.Sample(ctx)
	if err != nil {
		return fmt.Errorf("node sampling: %w", err)
	}
	p.add(first)
	ctx, p.cancel = context.WithCancel(ctx)
	p.wait = repeat(ctx, p.interval, func(ctx context.Context) {
		round, err := p.nodes.Sample(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			round = []NodeSample{{Time: time.Now(), Err: err.Error()}}
		}
		p.add(round)
	})
	return nil
}

// Stop implements Sampler: once it returns, the Datapath is final.
func (p *DatapathSampler) Stop() error {
	p.cancel()
	p.wait()
	return nil
}

// add feeds one round to the Datapath.
func (p *DatapathSampler) add(round []NodeSample) {
	for _, ns := range round {
		if ns.State == nil {
			if p.failing[ns.Node] != ns.Err {
				p.failing[ns.Node] = ns.Err
				p.note(ns.Node, ns.Err)
			}
			continue
		}
		if _, was := p.failing[ns.Node]; was {
			delete(p.failing, ns.Node)
			p.note(ns.Node, "drill agent on "+ns.Node+" readable again")
		}
		if msg := p.d.Add(ns); msg != "" {
			p.note(ns.Node, msg)
		}
		if pt, ok := p.d.last(ns.Node); ok && p.obs != nil && pt.Time.Equal(ns.Time) {
			p.obs.Conntrack(ns.Node, pt)
		}
	}
}

func (p *DatapathSampler) note(node, msg string) {
	if p.emit != nil {
		p.emit(Event{Kind: EventNode, Source: node, Message: msg})
	}
}

var (
	_ WithEvents = (*DatapathSampler)(nil)
	_ WithValues = (*DatapathSampler)(nil)
)
