package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// checkpointEvery is how often a run rewrites its provisional report.
const checkpointEvery = 5 * time.Second

// errProvisional is the reason of a provisional report: it is what stays
// when drill is killed before the run ends.
var errProvisional = errors.New("provisional report, written while the run was in progress: if drill is no longer running it was stopped (killed) before the run ended, and this is what it had measured by then")

// checkpointer writes a run's provisional report when the load starts and
// every checkpointEvery until it is stopped, so that a run killed at any
// moment leaves a valid report, marked incomplete, of what it had measured.
type checkpointer struct {
	path string
	base *report.Report // what is known before the load; not changed
	// st is the run; its output's space is grown to keep room for a
	// final report larger than the last provisional one.
	st *runState

	// written is when the last provisional report was written (zero:
	// none was).
	written time.Duration
	stop    func()
	wg      sync.WaitGroup
	// failed is the first failure to write a provisional report.
	failed error
}

// startCheckpoints writes the first provisional report and starts
// rewriting it in the background.
func startCheckpoints(ctx context.Context, st *runState, base *report.Report) *checkpointer {
	c := &checkpointer{path: filepath.Join(st.opts.Dir, report.FileName), base: base, st: st}
	c.write()
	ctx, c.stop = context.WithCancel(ctx)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				c.write()
			}
		}
	}()
	return c
}

// write writes one provisional report. A failure (a full disk) leaves the
// previous one in place, since reports are replaced atomically.
func (c *checkpointer) write() {
	r := *c.base
	c.st.fill(&r)
	r.EndedAt = time.Now()
	report.Judge(&r, report.Outcome{Failure: errProvisional.Error(), Planned: c.st.sc.TotalDuration(), RequireChecks: c.st.opts.RequireChecks})
	at := r.EndedAt.Sub(r.StartedAt).Round(time.Second)
	err := report.Write(c.path, &r)
	if err == nil {
		c.written = max(at, time.Nanosecond)
		var fi os.FileInfo
		if fi, err = os.Stat(c.path); err == nil {
			err = c.st.out.space.grow(2*fi.Size() + reserveBase/2)
		}
	}
	if err != nil && c.failed == nil {
		c.failed = fmt.Errorf("at t=%s: %w", at, err)
	}
}

// noReport is the error of a final report that could not be written: it
// says what the run directory holds instead.
func (c *checkpointer) noReport(err error) error {
	left := "there is no report in " + filepath.Dir(c.path)
	if c.written > 0 {
		left = fmt.Sprintf("%s holds the provisional report of t=%s, marked incomplete", c.path, c.written.Round(time.Second))
	}
	return fmt.Errorf("%w (%v); %s", ErrNoReport, err, left)
}

// finish stops the checkpoints and waits for one being written, so that
// none can replace the final report.
func (c *checkpointer) finish() error {
	c.stop()
	c.wg.Wait()
	return c.failed
}
