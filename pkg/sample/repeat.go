package sample

import (
	"context"
	"sync"
	"time"
)

// repeat calls round every interval in the background until ctx ends; the
// function it returns waits until the last round has returned.
func repeat(ctx context.Context, interval time.Duration, round func(context.Context)) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				round(ctx)
			}
		}
	})
	return wg.Wait
}
