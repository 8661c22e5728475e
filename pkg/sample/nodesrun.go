package sample

import (
	"context"
	"sync"
	"time"
)

// Start samples the agents every interval in the background until stop is
// called or ctx ends, feeding every sample to d and calling note with what
// belongs on the run's timeline: Datapath.Add's notes, a node's agent
// becoming unreadable (once, until it is readable again) and failing to
// find any agent. stop waits until the sampling has ended, so d is final
// when it returns.
func (s *NodeSampler) Start(ctx context.Context, interval time.Duration, d *Datapath, note func(node, msg string)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	failing := map[string]string{} // node → last error noted
	wg.Go(func() {
		err := s.Run(ctx, interval, func(round []NodeSample) {
			for _, ns := range round {
				if ns.State == nil {
					if failing[ns.Node] != ns.Err {
						failing[ns.Node] = ns.Err
						note(ns.Node, ns.Err)
					}
					continue
				}
				if _, was := failing[ns.Node]; was {
					delete(failing, ns.Node)
					note(ns.Node, "drill agent on "+ns.Node+" readable again")
				}
				if msg := d.Add(ns); msg != "" {
					note(ns.Node, msg)
				}
			}
		})
		if err != nil && ctx.Err() == nil {
			note("", "node sampling: "+err.Error())
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
