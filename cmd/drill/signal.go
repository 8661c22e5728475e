package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/drillkit/drill/pkg/run"
)

// notifyStop turns SIGINT and SIGTERM into the two stages of stopping. The
// first cancels ctx: the run stops its load, recovers its faults and
// deletes its setup. The second closes insist: those waits end (see
// run.InsistGrace) and drill exits naming what is left. After the second,
// signals take their default action again, so a third one kills drill.
func notifyStop(parent context.Context, stderr io.Writer) (ctx context.Context, insist <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ins := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			signal.Stop(sigs)
			fmt.Fprintf(stderr, "drill: interrupted again: no more waiting; what is not undone within %s is reported as left (interrupt a third time to kill drill at once)\n", run.InsistGrace)
			close(ins)
		case <-done:
		}
	}()
	return ctx, ins, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
