package check

import (
	"fmt"
	"strings"
	"time"
)

// Abort is a condition that stops a run early, e.g.
// "error_rate > 20% for 10s": it is evaluated on every completed second of
// the run's timeline and fires once Expr held for For consecutive seconds.
type Abort struct {
	// Source is the condition as written, without surrounding spaces.
	Source string
	// Expr is the per-second condition; its metric is always Live.
	Expr Expr
	// For is how long the condition must hold, a whole number of seconds,
	// at least one.
	For time.Duration
}

// Seconds returns For as a whole number of seconds.
func (a Abort) Seconds() int { return int(a.For / time.Second) }

// String returns the condition's source.
func (a Abort) String() string { return a.Source }

// ParseAbort parses an abort condition: an expression on a Live metric,
// optionally followed by "for DURATION" (default 1s). Problems are
// returned as a *SyntaxError.
func ParseAbort(src string) (Abort, error) {
	p := parser{src: src}
	e, err := p.expr()
	if err != nil {
		return Abort{}, err
	}
	if e.Relative != Absolute {
		return Abort{}, p.errAt(len(src)-len(strings.TrimLeft(src, " \t\r\n")), "a threshold relative to the baseline (+10%, -5ms) is for checks, which drill compare evaluates against a baseline run; an abort condition needs a fixed threshold")
	}
	if m, _ := Lookup(e.Metric); !m.Live {
		return Abort{}, p.errAt(len(src)-len(strings.TrimLeft(src, " \t\r\n")), fmt.Sprintf(
			"%s cannot be used in an abort condition: abort conditions are evaluated on each second of the run and need a per-second metric: %s",
			e.Metric, strings.Join(Names(true), ", ")))
	}
	a := Abort{Source: strings.TrimSpace(src), Expr: e, For: time.Second}
	p.space()
	if p.eof() {
		return a, nil
	}
	tok, at := p.word()
	if tok != "for" {
		return Abort{}, p.errAt(at, fmt.Sprintf(`unexpected %q after the threshold: expected "for DURATION" (e.g. for 10s) or nothing`, tok))
	}
	p.space()
	durTok, durAt := p.word()
	if durTok == "" {
		return Abort{}, p.errAt(durAt, `missing duration after "for", e.g. for 10s`)
	}
	d, err := time.ParseDuration(durTok)
	switch {
	case err != nil:
		return Abort{}, p.errAt(durAt, fmt.Sprintf("%q is not a duration: write a whole number of seconds like 10s or 1m", durTok))
	case d < time.Second:
		return Abort{}, p.errAt(durAt, fmt.Sprintf("for %s is shorter than one second, the evaluation step: use at least 1s", durTok))
	case d%time.Second != 0:
		return Abort{}, p.errAt(durAt, fmt.Sprintf("for %s is not a whole number of seconds: conditions are evaluated once per second", durTok))
	}
	p.space()
	if !p.eof() {
		extra, at := p.word()
		return Abort{}, p.errAt(at, fmt.Sprintf("unexpected %q after the duration", extra))
	}
	a.For = d
	return a, nil
}

// AbortTracker follows one Abort over the seconds of a run. Feed it each
// completed second in order with Observe; it reports when the condition
// has held for Abort.For consecutive seconds. A second in which the metric
// has no value (nothing was sent or due, or for a latency none completed)
// breaks the streak. It is not safe
// for concurrent use.
type AbortTracker struct {
	abort  Abort
	seen   int // seconds observed
	streak int
	fired  bool
	last   float64
}

// NewAbortTracker returns a tracker for a.
func NewAbortTracker(a Abort) *AbortTracker {
	return &AbortTracker{abort: a}
}

// Observe evaluates the condition on one second's values and reports
// whether the abort fires now or has fired before. Seconds are numbered
// from 0 in the order they are observed. Once fired, the tracker keeps
// the streak that fired it.
func (t *AbortTracker) Observe(second Values) bool {
	if t.fired {
		return true
	}
	t.seen++
	pass, actual, ok := t.abort.Expr.Eval(second)
	if ok && pass {
		t.streak++
		t.last = actual
	} else {
		t.streak = 0
	}
	if t.streak >= max(t.abort.Seconds(), 1) {
		t.fired = true
	}
	return t.fired
}

// Fired reports whether the condition has held long enough.
func (t *AbortTracker) Fired() bool { return t.fired }

// Reason describes the streak that fired the abort, for logs and reports,
// e.g. `error_rate was 35% for 10s from t=12s`: the value of its last
// second, its length and the second it began.
func (t *AbortTracker) Reason() string {
	return fmt.Sprintf("%s was %s for %ds from t=%ds", t.abort.Expr.Metric,
		t.abort.Expr.FormatValue(t.last), t.streak, t.seen-t.streak)
}

// Abort returns the condition being tracked.
func (t *AbortTracker) Abort() Abort { return t.abort }
