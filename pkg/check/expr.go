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
}

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
// means; checks treat it as a failure).
func (e Expr) Eval(v Values) (pass bool, actual float64, ok bool) {
	actual, ok = v.Value(e.Metric)
	if !ok || math.IsNaN(actual) {
		return false, actual, false
	}
	return compare(actual, e.Op, e.Threshold), actual, true
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
	t, err := parseThreshold(m.Kind, tok)
	if err != nil {
		return Expr{}, p.errAt(at, fmt.Sprintf("%s is a %s: %v", name, m.Kind, err))
	}
	return Expr{
		Source:    strings.TrimSpace(p.src[:p.pos]),
		Metric:    name,
		Op:        op,
		Threshold: t,
		Kind:      m.Kind,
	}, nil
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
