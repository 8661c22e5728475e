package load

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// PhasePacer is a vegeta.Pacer that chains phases of constant rate and linear
// ramps. Hits are accounted over the whole run: the number of hits due by
// elapsed time t is H(t), the integral of the rate from the start of the run,
// so a phase boundary neither drops nor repeats a hit. Hit n (counting from 0)
// is due at the time t where H(t) = n: the first hit goes out at once and a
// run of duration D sends ceil(H(D)) hits. Pace stops the attack once every
// due hit was sent or the phases are over.
//
// A PhasePacer built from a single phase with zero rates sends as fast as
// asked (vegeta's rate 0) until its duration is over.
type PhasePacer struct {
	phases    []pacedPhase
	total     float64       // H at the end of the last phase
	duration  time.Duration // sum of the phase durations
	unlimited bool
}

// pacedPhase is one phase with its place in the run.
type pacedPhase struct {
	start    time.Duration // elapsed time at which the phase begins
	dur      time.Duration
	from, to float64 // hits per second at the start and at the end
	before   float64 // hits due before the phase begins
}

var _ vegeta.Pacer = (*PhasePacer)(nil)

// NewPhasePacer returns a pacer for the phases; they must be valid (see
// Config.Validate).
func NewPhasePacer(phases []Phase) *PhasePacer {
	p := &PhasePacer{}
	if len(phases) == 1 && phases[0].From.Freq == 0 && phases[0].To.Freq == 0 {
		p.unlimited = true
	}
	for _, ph := range phases {
		pp := pacedPhase{
			start:  p.duration,
			dur:    ph.Duration,
			from:   perSecond(ph.From),
			to:     perSecond(ph.To),
			before: p.total,
		}
		p.phases = append(p.phases, pp)
		p.duration += ph.Duration
		p.total += pp.hits(ph.Duration)
	}
	return p
}

// perSecond converts a vegeta rate to hits per second; zero for a zero rate.
func perSecond(r vegeta.Rate) float64 {
	if r.Freq <= 0 || r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) * float64(time.Second) / float64(r.Per)
}

// hits is the number of hits due x into the phase: from*x + (to-from)/(2d)*x².
func (p pacedPhase) hits(x time.Duration) float64 {
	s, d := x.Seconds(), p.dur.Seconds()
	return p.from*s + (p.to-p.from)/(2*d)*s*s
}

// at is the time into the phase at which h hits of the phase are due; the
// inverse of hits, written so that it is stable for ramps up, down and from 0.
func (p pacedPhase) at(h float64) time.Duration {
	if h <= 0 {
		return 0
	}
	a := (p.to - p.from) / (2 * p.dur.Seconds())
	disc := p.from*p.from + 4*a*h
	if disc < 0 {
		disc = 0
	}
	den := p.from + math.Sqrt(disc)
	if den <= 0 {
		return p.dur
	}
	return time.Duration(math.Round(2 * h / den * float64(time.Second)))
}

// Duration is the sum of the phase durations.
func (p *PhasePacer) Duration() time.Duration { return p.duration }

// Hits is the number of hits due by elapsed time t, H(t) (fractional). An
// unlimited pacer has no due hits and returns 0.
func (p *PhasePacer) Hits(t time.Duration) float64 {
	if p.unlimited || len(p.phases) == 0 || t <= 0 {
		return 0
	}
	if t >= p.duration {
		return p.total
	}
	ph := p.phases[p.find(t)]
	return ph.before + ph.hits(t-ph.start)
}

// Total is the number of hits the whole run sends when it keeps pace:
// ceil(H(Duration)).
func (p *PhasePacer) Total() uint64 {
	if p.unlimited {
		return 0
	}
	return uint64(math.Ceil(p.total - 1e-9))
}

// find returns the index of the phase that contains elapsed time t (< duration).
func (p *PhasePacer) find(t time.Duration) int {
	for i := len(p.phases) - 1; i > 0; i-- {
		if t >= p.phases[i].start {
			return i
		}
	}
	return 0
}

// due returns the elapsed time at which hit n (from 0) is due.
func (p *PhasePacer) due(n uint64) time.Duration {
	h := float64(n)
	i := len(p.phases) - 1
	for i > 0 && h < p.phases[i].before {
		i--
	}
	// Skip phases that are over before the hit (e.g. a ramp ending at zero
	// followed by more phases): the hit belongs to the first phase in which
	// H reaches h.
	for i < len(p.phases)-1 && h >= p.phases[i].before+p.phases[i].hits(p.phases[i].dur) {
		i++
	}
	ph := p.phases[i]
	return ph.start + ph.at(h-ph.before)
}

// Pace implements vegeta.Pacer.
func (p *PhasePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if elapsed >= p.duration {
		return 0, true
	}
	if p.unlimited {
		return 0, false
	}
	if float64(hits) >= p.total-1e-9 {
		return 0, true
	}
	due := p.due(hits)
	if due >= p.duration {
		return 0, true
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// Phase is the number, from 1, of the phase elapsed time t falls in; 0
// before the run and once its phases are over.
func (p *PhasePacer) Phase(t time.Duration) int {
	if len(p.phases) == 0 || t < 0 || t >= p.duration {
		return 0
	}
	return p.find(t) + 1
}

// Rate implements vegeta.Pacer: the instantaneous rate in hits per second.
func (p *PhasePacer) Rate(elapsed time.Duration) float64 {
	if p.unlimited || len(p.phases) == 0 || elapsed < 0 || elapsed >= p.duration {
		return 0
	}
	ph := p.phases[p.find(elapsed)]
	x := (elapsed - ph.start).Seconds() / ph.dur.Seconds()
	return ph.from + (ph.to-ph.from)*x
}
