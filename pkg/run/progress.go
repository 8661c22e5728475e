package run

import (
	"fmt"
	"io"
	"time"

	"github.com/drillkit/drill/pkg/metric"
)

// progress prints a live line per completed second on a terminal, and a
// plain line every plainEvery seconds elsewhere (CI logs).
type progress struct {
	w     io.Writer
	tty   bool
	total time.Duration
	wrote bool
}

const plainEvery = 10

func (p *progress) second(s metric.Second, phase string) {
	if p == nil || p.w == nil {
		return
	}
	if !p.tty && (s.T+1)%plainEvery != 0 {
		return
	}
	ok := 100.0
	if s.Requests > 0 {
		ok = 100 * float64(s.Successes) / float64(s.Requests)
	}
	line := fmt.Sprintf("[%4ds/%ds] %7.1f req/s  ok %6.2f%%  p99 %-8s %s",
		s.T+1, int(p.total.Seconds()), float64(s.Requests), ok, s.P99.Round(time.Microsecond*100), phase)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.wrote = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) done() {
	if p != nil && p.tty && p.wrote {
		fmt.Fprintln(p.w)
	}
}
