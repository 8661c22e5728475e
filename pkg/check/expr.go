package check

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Values gives metric values by name, in catalog units: ratios as
// fractions, durations as seconds. ok is false when the metric has no value
// (no requests yet, no backend header seen).
type Values interface {
	Value(name string) (v float64, ok bool)
}

// Map is a Values backed by a map, handy for tests and for callers that
// compute all metrics up front.
type Map map[string]float64

// Value returns m[name].
func (m Map) Value(name string) (float64, bool) {
	v, ok := m[name]
	return v, ok
}

var _ Values = Map(nil)

// Expr is a parsed threshold such as "p99 < 300ms": a metric, a comparison
// and a threshold in the metric's unit.
type Expr struct {
	// Source is the expression as written, without surrounding spaces.
	Source string
	// Metric is the metric's name, e.g. "p99" or "status_502".
	Metric string
	// Op is one of < <= > >= == !=.
	Op string
	// Threshold is in catalog units: a fraction for ratios, seconds for
	// durations.
	Threshold float64
	// Kind is the metric's kind.
	Kind Kind
	// Relative is set for a threshold relative to a baseline run's value,
	// written with a sign ("p99 <= +10%", "p50 < +5ms"); Threshold is then
	// the signed change: a fraction of the baseline's value when Relative
	// is RelativePercent, else in catalog units.
	Relative Relative
}

// Relative says how a threshold depends on a baseline run's value.
type Relative int

// Relative thresholds.
const (
	// Absolute: the threshold is the value written, no baseline.
	Absolute Relative = iota
	// RelativePercent: the baseline's value changed by a percentage
	// ("+10%": 1.1 times the baseline's).
	RelativePercent
	// RelativeDelta: the baseline's value plus a signed amount in the
	// metric's unit ("+5ms", "-2").
	RelativeDelta
)

// SyntaxError is a problem in an expression. Col is the 1-based column (in
// characters) within the expression where it was found.
type SyntaxError struct {
	Col int
	Msg string
}

// Error returns "column N: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
}

// Parse parses a threshold expression: metric, operator, threshold, e.g.
// "success_rate >= 99.9%" or "status_5xx == 0". Problems are returned as a
// *SyntaxError.
func Parse(src string) (Expr, error) {
	p := parser{src: src}
	e, err := p.expr()
	if err != nil {
		return Expr{}, err
	}
	p.space()
	if !p.eof() {
		tok, at := p.word()
		if tok == "for" {
			return Expr{}, p.errAt(at, `"for" is only allowed in abort conditions (abortWhen); a check is evaluated over the whole run`)
		}
		return Expr{}, p.errAt(at, fmt.Sprintf("unexpected %q after the threshold: a check is one comparison, write separate checks instead", tok))
	}
	return e, nil
}

// Eval compares the metric's value in v with the threshold. ok is false
// when v has no value for the metric (the caller decides what "no data"
// means; checks treat it as a failure), and for a relative threshold,
// which needs a baseline (EvalRelative).
func (e Expr) Eval(v Values) (pass bool, actual float64, ok bool) {
	actual, ok = v.Value(e.Metric)
	if !ok || math.IsNaN(actual) || e.Relative != Absolute {
		return false, actual, false
	}
	return compare(actual, e.Op, e.Threshold), actual, true
}

// EvalRelative compares the metric's value in v with the threshold taken
// relative to its value in baseline (ThresholdFor); an absolute threshold
// ignores the baseline. ok is false when either has no value.
func (e Expr) EvalRelative(v, baseline Values) (pass bool, actual, threshold float64, ok bool) {
	if e.Relative == Absolute {
		pass, actual, ok = e.Eval(v)
		return pass, actual, e.Threshold, ok
	}
	base, bok := baseline.Value(e.Metric)
	actual, ok = v.Value(e.Metric)
	if !ok || !bok || math.IsNaN(actual) || math.IsNaN(base) {
		return false, actual, math.NaN(), false
	}
	threshold = e.ThresholdFor(base)
	return compare(actual, e.Op, threshold), actual, threshold, true
}

// ThresholdFor returns the threshold given the baseline's value of the
// metric: the threshold itself when it is absolute.
func (e Expr) ThresholdFor(base float64) float64 {
	switch e.Relative {
	case RelativePercent:
		return base * (1 + e.Threshold)
	case RelativeDelta:
		return max(base+e.Threshold, 0)
	}
	return e.Threshold
}

func compare(a float64, op string, t float64) bool {
	switch op {
	case "<":
		return a < t
	case "<=":
		return a <= t
	case ">":
		return a > t
	case ">=":
		return a >= t
	case "==":
		return a == t
	case "!=":
		return a != t
	}
	return false
}

// FormatThreshold renders the threshold as written: "+10%", "-5ms", "300ms".
func (e Expr) FormatThreshold() string {
	switch e.Relative {
	case RelativePercent:
		return signed(e.Threshold, formatPercent)
	case RelativeDelta:
		return signed(e.Threshold, e.Kind.format)
	}
	return e.FormatValue(e.Threshold)
}

func signed(x float64, f func(float64) string) string {
	if x < 0 {
		return "-" + f(-x)
	}
	return "+" + f(x)
}

// FormatValue renders x, a value of the expression's metric, in the
// metric's unit: "99.95%", "312ms", "12", "0.25".
func (e Expr) FormatValue(x float64) string {
	return e.Kind.format(x)
}

// String returns the expression's source.
func (e Expr) String() string { return e.Source }

// parser scans one expression, tracking byte offsets.
type parser struct {
	src string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) space() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// word returns the next run of non-space bytes and its offset.
func (p *parser) word() (string, int) {
	start := p.pos
	for p.pos < len(p.src) && !isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos], start
}

// errAt returns a SyntaxError at byte offset at.
func (p *parser) errAt(at int, msg string) error {
	if at > len(p.src) {
		at = len(p.src)
	}
	return &SyntaxError{Col: utf8.RuneCountInString(p.src[:at]) + 1, Msg: msg}
}

func isIdent(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// expr parses "metric op threshold", leaving p after the threshold.
func (p *parser) expr() (Expr, error) {
	p.space()
	start := p.pos
	if p.eof() {
		return Expr{}, p.errAt(p.pos, "empty expression: write metric, operator and threshold, e.g. success_rate >= 99.9%")
	}
	for p.pos < len(p.src) && isIdent(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	name := p.src[start:p.pos]
	if name == "" {
		tok, _ := p.word()
		return Expr{}, p.errAt(start, fmt.Sprintf("expected a metric name, found %q", tok))
	}
	m, ok := Lookup(name)
	if !ok {
		return Expr{}, p.errAt(start, unknownMetric(name, Names(false)))
	}

	p.space()
	opAt := p.pos
	op := scanOp(p.src[p.pos:])
	if op == "" {
		rest := p.src[p.pos:]
		switch {
		case p.eof():
			return Expr{}, p.errAt(opAt, fmt.Sprintf("missing operator and threshold after %s: expected one of < <= > >= == != and %s", name, m.Kind.example()))
		case strings.HasPrefix(rest, "=>"):
			return Expr{}, p.errAt(opAt, `unknown operator "=>": did you mean ">="?`)
		case strings.HasPrefix(rest, "=<"):
			return Expr{}, p.errAt(opAt, `unknown operator "=<": did you mean "<="?`)
		case strings.HasPrefix(rest, "="):
			return Expr{}, p.errAt(opAt, `unknown operator "=": use "==" to compare for equality`)
		}
		tok, _ := p.word()
		return Expr{}, p.errAt(opAt, fmt.Sprintf("expected an operator (< <= > >= == !=) after %s, found %q", name, tok))
	}
	p.pos += len(op)
	if p.pos < len(p.src) && strings.ContainsRune("<>=!", rune(p.src[p.pos])) {
		return Expr{}, p.errAt(opAt, fmt.Sprintf("unknown operator %q: expected one of < <= > >= == !=", op+string(p.src[p.pos])))
	}

	p.space()
	tok, at := p.word()
	e := Expr{Metric: name, Op: op, Kind: m.Kind}
	if tok != "" && (tok[0] == '+' || tok[0] == '-') {
		if err := e.relative(op, tok); err != nil {
			return Expr{}, p.errAt(at, fmt.Sprintf("%s is a %s: %v", name, m.Kind, err))
		}
	} else {
		t, err := parseThreshold(m.Kind, tok)
		if err != nil {
			return Expr{}, p.errAt(at, fmt.Sprintf("%s is a %s: %v", name, m.Kind, err))
		}
		e.Threshold = t
	}
	e.Source = strings.TrimSpace(p.src[:p.pos])
	return e, nil
}

// relative reads a threshold relative to the baseline: a sign, then a
// percentage of the baseline's value or an amount in the metric's unit.
func (e *Expr) relative(op, tok string) error {
	if op == "==" || op == "!=" {
		return fmt.Errorf("a threshold relative to the baseline (%s) needs < <= > or >=: a value is almost never exactly the baseline's changed by an amount", tok)
	}
	sign, rest := 1.0, tok[1:]
	if tok[0] == '-' {
		sign = -1
	}
	if rest == "" || rest[0] == '+' || rest[0] == '-' {
		return fmt.Errorf("threshold %q: write one sign and then a change, e.g. +10%% or -5ms", tok)
	}
	if num, ok := strings.CutSuffix(rest, "%"); ok {
		f, err := parseFloat(num, tok, e.Kind)
		switch {
		case err != nil || num == "":
			return fmt.Errorf("threshold %q is not a percentage: write a change relative to the baseline like +10%% or -5%%", tok)
		case sign < 0 && f > 100:
			return fmt.Errorf("threshold %q would be below zero: a relative decrease is at most -100%%", tok)
		}
		e.Threshold, e.Relative = sign*f/100, RelativePercent
		return nil
	}
	t, err := parseThreshold(e.Kind, rest)
	if err != nil {
		return fmt.Errorf("relative threshold %q: %v", tok, err)
	}
	e.Threshold, e.Relative = sign*t, RelativeDelta
	return nil
}

// scanOp returns the comparison operator s starts with, or "".
func scanOp(s string) string {
	for _, o := range [...]string{"<=", ">=", "==", "!=", "<", ">"} {
		if strings.HasPrefix(s, o) {
			return o
		}
	}
	return ""
}

// unknownMetric builds the message for an unknown metric name, suggesting
// the closest known one and listing them all.
func unknownMetric(name string, known []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown metric %q", name)
	cands := known
	if strings.HasPrefix(strings.ToLower(name), "status_") {
		b.WriteString(" (status_NNN needs a code from 100 to 599, e.g. status_502)")
	}
	if c := Closest(name, cands); c != "" && c != StatusPattern {
		fmt.Fprintf(&b, "; did you mean %q?", c)
	}
	fmt.Fprintf(&b, "; known metrics: %s", strings.Join(known, ", "))
	return b.String()
}
