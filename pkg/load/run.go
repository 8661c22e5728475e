package load

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/redact"
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

	onStart func(time.Time)
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

// OnStart sets a function called with the time each request is sent, from
// the worker about to send it, before its result exists: with the results,
// it tells which requests are in flight. It must be quick and safe for
// concurrent use. Set it before Run.
func (a *Attack) OnStart(fn func(at time.Time)) { a.onStart = fn }

// MaxWorkers returns the most requests the run keeps in flight: when that
// many are, the schedule's further requests wait until one completes.
func (a *Attack) MaxWorkers() uint64 { return a.cfg.maxWorkers() }

// Run checks every target against the Allow guard and attacks until the
// phases are over or ctx is cancelled. On cancellation it stops issuing
// requests, gives those in flight StopGrace to finish, cancels the rest
// (their results fail with ErrStopped) and returns ctx.Err() once every
// result is delivered; it returns nil when the phases ran to the end, after
// the requests in flight completed (each within the timeout).
//
// sink is called for every result, in order of arrival, from the goroutine
// that called Run; it may be nil. A result's Attack field holds the name of
// its Request and its URL the URL as configured, without userinfo; the
// Config's Redactor has removed secrets from the rest. Results and their fields
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
		if a.onStart != nil {
			a.onStart(time.Now())
		}
		return next(t)
	}
	conns := newConnSet()
	atk := vegeta.NewAttacker(attackerOptions(a.cfg, conns)...)
	results := atk.Attack(targeter, a.pacer, a.pacer.Duration(), AttackName)
	drained := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		atk.Stop()
		grace := time.NewTimer(StopGrace)
		defer grace.Stop()
		select {
		case <-grace.C:
			conns.stop()
		case <-drained:
		}
	})
	defer stop()
	defer close(drained)
	red := a.cfg.Redactor
	for r := range results {
		if name, u, ok := a.mix.Name(r); ok {
			r.Attack, r.URL = name, u
		} else {
			r.URL = redact.URL(r.URL)
		}
		redactResult(red, r)
		if sink != nil {
			sink(r)
		}
	}
	return ctx.Err()
}

// redactResult removes credentials from what a result carries besides its
// URL: the error message (Go's HTTP client names the URL in it, user name
// included) and, when there are secret values, the response's headers and
// body (a server that echoes the request). It costs nothing for a successful
// result of a run without secret values.
func redactResult(red *redact.Redactor, r *vegeta.Result) {
	if r.Error != "" {
		r.Error = red.String(r.Error)
	}
	if !red.HasSecrets() {
		return
	}
	r.Body = red.Bytes(r.Body)
	for _, vs := range r.Headers {
		for i, v := range vs {
			vs[i] = red.String(v)
		}
	}
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
func attackerOptions(cfg Config, conns *connSet) []func(*vegeta.Attacker) {
	return []func(*vegeta.Attacker){
		vegeta.Client(newClient(cfg, conns)),
		vegeta.Workers(cfg.workers()),
		vegeta.MaxWorkers(cfg.maxWorkers()),
		vegeta.MaxBody(cfg.MaxBody),
	}
}
