package run

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// InsistGrace is how long the undo calls under way may still take once the
// user insists on stopping (a second interrupt): then every cleanup wait
// ends and what is not undone is reported as left.
const InsistGrace = 2 * time.Second

// errInsisted ends the waits a second interrupt cut short.
var errInsisted = errors.New("cut short by a second interrupt")

// cleanupContext returns the context of a step that undoes what the run
// did (recovering faults, deleting the setup). It outlives ctx's
// cancellation, the interruption that ended the run, but ends once
// timeouts.name (limit) runs out and InsistGrace after insist is closed;
// context.Cause says which.
func cleanupContext(ctx context.Context, insist <-chan struct{}, name string, limit time.Duration) (context.Context, context.CancelFunc) {
	limited, cancelLimit := withLimit(context.WithoutCancel(ctx), name, limit)
	c, cancel := context.WithCancelCause(limited)
	stop := func() {
		cancel(nil)
		cancelLimit()
	}
	if insist == nil {
		return c, stop
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
			cancel(errInsisted)
		case <-c.Done():
		}
	}()
	return c, stop
}

// withLimit bounds ctx by timeouts.name, limit; the cause of its end says
// so. Zero (a scenario not read by scenario.Parse, which fills in the
// defaults) leaves it unbounded.
func withLimit(ctx context.Context, name string, limit time.Duration) (context.Context, context.CancelFunc) {
	if limit <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, limit, fmt.Errorf("timeouts.%s (%s) ran out", name, limit))
}
