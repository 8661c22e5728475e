package load

import (
	"context"
	"fmt"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// AttackName is the vegeta attack name of a run: the X-Vegeta-Attack header
// of every request. Results carry their request's name instead (see Run).
const AttackName = "drill"

// Run validates the config, checks every target against the Allow guard and
// attacks until the phases are over or ctx is cancelled. On cancellation it
// stops issuing requests, lets those in flight finish (each within the
// timeout) and returns ctx.Err() once their results are delivered; it returns
// nil when the phases ran to the end.
//
// sink is called for every result, in order of arrival, from the goroutine
// that called Run; it may be nil. A result's Attack field holds the name of
// its Request and its URL the URL as configured. Results and their fields
// belong to the sink: Run does not touch them afterwards.
func Run(ctx context.Context, cfg Config, sink func(*vegeta.Result)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := CheckTargets(ctx, cfg); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	mix := NewMix(cfg)
	pacer := NewPhasePacer(cfg.Phases)
	atk := vegeta.NewAttacker(attackerOptions(cfg)...)
	results := atk.Attack(mix.Targeter(), pacer, pacer.Duration(), AttackName)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for r := range results {
		if name, u, ok := mix.Name(r); ok {
			r.Attack, r.URL = name, u
		}
		if sink != nil {
			sink(r)
		}
	}
	return ctx.Err()
}

// attackerOptions are the vegeta options of a config: our own client (which
// carries every transport setting and the dial guard) and the worker bounds.
func attackerOptions(cfg Config) []func(*vegeta.Attacker) {
	workers := cfg.Workers
	if workers == 0 {
		workers = DefaultWorkers
	}
	maxWorkers := cfg.MaxWorkers
	if maxWorkers == 0 {
		maxWorkers = vegeta.DefaultMaxWorkers
	}
	if workers > maxWorkers {
		workers = maxWorkers
	}
	return []func(*vegeta.Attacker){
		vegeta.Client(NewClient(cfg)),
		vegeta.Workers(workers),
		vegeta.MaxWorkers(maxWorkers),
	}
}
