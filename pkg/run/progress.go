package run

import (
	"fmt"
	"io"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"

	"github.com/drillkit/drill/pkg/metric"
)

// progress prints a live line per completed second on a terminal, and a
// plain line every plainEvery seconds elsewhere (CI logs).
type progress struct {
	w      io.Writer
	tty    bool
	total  time.Duration
	phases []load.Phase
	wrote  bool
}

const plainEvery = 10

func (p *progress) second(s metric.Second) {
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
		s.T+1, int(p.total.Seconds()), float64(s.Requests), ok, s.P99.Round(time.Microsecond*100), p.phase(s.T))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.wrote = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// phase describes the load phase second t falls in.
func (p *progress) phase(t int) string {
	at := time.Duration(t) * time.Second
	for i, ph := range p.phases {
		if at < ph.Duration || i == len(p.phases)-1 {
			var desc string
			if ph.From != ph.To {
				desc = fmt.Sprintf("ramp %g/s→%g/s", perSecond(ph.From), perSecond(ph.To))
			} else {
				desc = fmt.Sprintf("%g/s", perSecond(ph.From))
			}
			if len(p.phases) == 1 {
				return desc
			}
			return fmt.Sprintf("phase %d/%d %s", i+1, len(p.phases), desc)
		}
		at -= ph.Duration
	}
	return ""
}

func perSecond(r vegeta.Rate) float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / r.Per.Seconds()
}

func (p *progress) done() {
	if p != nil && p.tty && p.wrote {
		fmt.Fprintln(p.w)
	}
}
