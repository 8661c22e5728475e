package load

import (
	"context"
	"fmt"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// AttackName is the vegeta attack name of a run: the X-Vegeta-Attack header
// of every request. Results carry their request's name instead (see Run).
const AttackName = "drill"

// Attack is a validated load run, ready to Run once.
type Attack struct {
	cfg   Config
	mix   *Mix
	pacer *PhasePacer
	sent  atomic.Uint64
}

// NewAttack validates the config (reporting every problem at once) and
// prepares the run.
func NewAttack(cfg Config) (*Attack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Attack{cfg: cfg, mix: NewMix(cfg), pacer: NewPhasePacer(cfg.Phases)}, nil
}

// Pacer returns the pacer of the run; its Hits and Total say how many
// requests the run schedules.
func (a *Attack) Pacer() *PhasePacer { return a.pacer }

// Sent returns the number of requests started so far. Sent minus the
// results received is the number of requests in flight, which shows a
// stalled target before any of its requests time out. Safe for concurrent use.
func (a *Attack) Sent() uint64 { return a.sent.Load() }

// Run checks every target against the Allow guard and attacks until the
// phases are over or ctx is cancelled. On cancellation it stops issuing
// requests, lets those in flight finish (each within the timeout) and
// returns ctx.Err() once their results are delivered; it returns nil when
// the phases ran to the end.
//
// sink is called for every result, in order of arrival, from the goroutine
// that called Run; it may be nil. A result's Attack field holds the name of
// its Request and its URL the URL as configured. Results and their fields
// belong to the sink: Run does not touch them afterwards.
func (a *Attack) Run(ctx context.Context, sink func(*vegeta.Result)) error {
	if err := CheckTargets(ctx, a.cfg); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	next := a.mix.Targeter()
	targeter := func(t *vegeta.Target) error {
		a.sent.Add(1)
		return next(t)
	}
	atk := vegeta.NewAttacker(attackerOptions(a.cfg)...)
	results := atk.Attack(targeter, a.pacer, a.pacer.Duration(), AttackName)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for r := range results {
		if name, u, ok := a.mix.Name(r); ok {
			r.Attack, r.URL = name, u
		}
		if sink != nil {
			sink(r)
		}
	}
	return ctx.Err()
}

// Run is NewAttack followed by Attack.Run.
func Run(ctx context.Context, cfg Config, sink func(*vegeta.Result)) error {
	a, err := NewAttack(cfg)
	if err != nil {
		return err
	}
	return a.Run(ctx, sink)
}

// attackerOptions are the vegeta options of a config: our own client (which
// carries every transport setting and the dial guard) and the worker bounds.
func attackerOptions(cfg Config) []func(*vegeta.Attacker) {
	return []func(*vegeta.Attacker){
		vegeta.Client(NewClient(cfg)),
		vegeta.Workers(cfg.workers()),
		vegeta.MaxWorkers(cfg.maxWorkers()),
		vegeta.MaxBody(cfg.MaxBody),
	}
}
