package run

import (
	"context"
	"time"
)

// InsistGrace is how long the undo calls under way may still take once the
// user insists on stopping (a second interrupt): then every cleanup wait
// ends and what is not undone is reported as left.
const InsistGrace = 2 * time.Second

// cleanupContext returns the context of a step that undoes what the run
// did (recovering faults, deleting the setup). It outlives ctx's
// cancellation, the interruption that ended the run, but ends after limit
// (no bound when limit is zero) and InsistGrace after insist is closed.
func cleanupContext(ctx context.Context, insist <-chan struct{}, limit time.Duration) (context.Context, context.CancelFunc) {
	c, cancel := withLimit(context.WithoutCancel(ctx), limit)
	if insist == nil {
		return c, cancel
	}
	go func() {
		select {
		case <-insist:
		case <-c.Done():
			return
		}
		t := time.NewTimer(InsistGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-c.Done():
		}
	}()
	return c, cancel
}

// withLimit bounds ctx by limit; zero (a scenario not read by
// scenario.Parse, which fills in the defaults) leaves it unbounded.
func withLimit(ctx context.Context, limit time.Duration) (context.Context, context.CancelFunc) {
	if limit <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, limit)
}
