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
	// start is t=0 of the run; now returns the current time (time.Now
	// when nil).
	start time.Time
	clock func() time.Time
}

func (p *progress) now() time.Time {
	if p.clock == nil {
		return time.Now()
	}
	return p.clock()
}

const plainEvery = 10

// second prints the line of one evaluated second, with the state of the
// requests in flight at the moment it is printed.
func (p *progress) second(s metric.Live, f metric.FlightState) {
	if p == nil || p.w == nil {
		return
	}
	if !p.tty && (s.T+1)%plainEvery != 0 {
		return
	}
	ok := "      -"
	if v, has := s.Value("success_rate"); has {
		ok = fmt.Sprintf("%6.2f%%", 100*v)
	}
	p99 := "-"
	if s.Requests > 0 {
		p99 = s.P99.Round(time.Microsecond * 100).String()
	}
	rate, _ := s.Value("rate")
	line := fmt.Sprintf("[%4ds/%ds] %7.1f req/s  ok %s  p99 %-8s %s%s",
		s.T+1, int(p.total.Seconds()), rate, ok, p99, p.phase(s.T), p.stall(s, f))
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.wrote = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// stall describes a load that is not being answered: the requests in flight
// now, how long since the last response (when a second or more), and the
// requests of the second that could not be sent.
func (p *progress) stall(s metric.Live, f metric.FlightState) string {
	if f.InFlight == 0 && s.NotSent == 0 {
		return ""
	}
	out := fmt.Sprintf("  in flight %d", f.InFlight)
	now := p.now()
	switch {
	case f.LastResponse.IsZero() && now.Sub(p.start) >= time.Second:
		out += ", no response yet"
	case !f.LastResponse.IsZero() && now.Sub(f.LastResponse) >= time.Second:
		out += fmt.Sprintf(", no response for %ds", int(now.Sub(f.LastResponse)/time.Second))
	}
	if s.NotSent > 0 {
		out += fmt.Sprintf(", %d not sent", s.NotSent)
	}
	return out
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
