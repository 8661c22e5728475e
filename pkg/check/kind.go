package check

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the unit a metric is measured in. It decides how thresholds are
// written and how values are displayed.
type Kind int

const (
	// Ratio is a fraction in [0,1], written as a percentage ("99.9%") or as
	// a bare fraction ("0.999").
	Ratio Kind = iota + 1
	// Duration is a time span stored as seconds, written with a unit
	// ("300ms", "2s", "1m").
	Duration
	// Count is a non-negative whole number ("0", "12").
	Count
	// Number is a plain non-negative real number ("0.25").
	Number
)

// String returns the kind's name as used in error messages.
func (k Kind) String() string {
	switch k {
	case Ratio:
		return "ratio"
	case Duration:
		return "duration"
	case Count:
		return "count"
	case Number:
		return "number"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// example returns a threshold written the way the kind expects.
func (k Kind) example() string {
	switch k {
	case Ratio:
		return `a percentage like 99.9% or a fraction like 0.999`
	case Duration:
		return `a duration with a unit like 300ms, 2s or 1m`
	case Count:
		return `a whole number like 0 or 12`
	default:
		return `a number like 0.25`
	}
}

// parseThreshold reads a threshold written for kind k. The error message
// is meant to follow "threshold <tok>: ".
func parseThreshold(k Kind, tok string) (float64, error) {
	if tok == "" {
		return 0, fmt.Errorf("missing threshold: expected %s", k.example())
	}
	if c := tok[0]; c == '-' || c == '+' {
		if c == '-' {
			return 0, fmt.Errorf("threshold %q is negative: metrics are never negative", tok)
		}
		return 0, fmt.Errorf("threshold %q: drop the sign, expected %s", tok, k.example())
	}
	if c := tok[0]; !(c >= '0' && c <= '9') && c != '.' {
		return 0, fmt.Errorf("threshold %q is not a number: expected %s", tok, k.example())
	}
	num, unit := splitNumber(tok)
	switch k {
	case Ratio:
		f, err := parseFloat(num, tok, k)
		if err != nil {
			return 0, err
		}
		switch unit {
		case "%":
			if f > 100 {
				return 0, fmt.Errorf("threshold %q is above 100%%", tok)
			}
			return f / 100, nil
		case "":
			if f > 1 {
				return 0, fmt.Errorf("threshold %q is above 1: write a percentage with %% (%s%%) or a fraction in [0,1]", tok, num)
			}
			return f, nil
		}
		return 0, fmt.Errorf("threshold %q has unit %q: expected %s", tok, unit, k.example())
	case Duration:
		if unit == "%" {
			return 0, fmt.Errorf("threshold %q is a percentage: expected %s", tok, k.example())
		}
		if unit == "" {
			f, err := parseFloat(num, tok, k)
			if err != nil {
				return 0, err
			}
			if f == 0 {
				return 0, nil
			}
			return 0, fmt.Errorf("threshold %q has no unit: expected %s", tok, k.example())
		}
		d, err := time.ParseDuration(tok)
		if err != nil {
			return 0, fmt.Errorf("threshold %q is not a duration: expected %s", tok, k.example())
		}
		return d.Seconds(), nil
	case Count:
		if unit == "%" {
			return 0, fmt.Errorf("threshold %q is a percentage: expected %s", tok, k.example())
		}
		if unit != "" {
			return 0, fmt.Errorf("threshold %q has unit %q: expected %s", tok, unit, k.example())
		}
		f, err := parseFloat(num, tok, k)
		if err != nil {
			return 0, err
		}
		if f != math.Trunc(f) {
			return 0, fmt.Errorf("threshold %q is not a whole number: expected %s", tok, k.example())
		}
		return f, nil
	default:
		if unit != "" {
			return 0, fmt.Errorf("threshold %q has unit %q: expected %s", tok, unit, k.example())
		}
		return parseFloat(num, tok, k)
	}
}

// splitNumber splits tok into a leading decimal number (digits, one dot,
// an optional exponent) and whatever follows it.
func splitNumber(tok string) (num, rest string) {
	i := 0
	for i < len(tok) && (tok[i] >= '0' && tok[i] <= '9' || tok[i] == '.') {
		i++
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		j := i + 1
		if j < len(tok) && (tok[j] == '+' || tok[j] == '-') {
			j++
		}
		k := j
		for k < len(tok) && tok[k] >= '0' && tok[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return tok[:i], tok[i:]
}

func parseFloat(num, tok string, k Kind) (float64, error) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("threshold %q is not a number: expected %s", tok, k.example())
	}
	return f, nil
}

// format renders x, a value of kind k, for people.
func (k Kind) format(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	switch k {
	case Ratio:
		return formatPercent(x)
	case Duration:
		return formatSeconds(x)
	case Count:
		return strconv.FormatFloat(math.Round(x), 'f', -1, 64)
	default:
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
}

// formatPercent shows a fraction as a percentage with up to three decimals,
// adding decimals when rounding would show a value that is not 0 or not
// 100% as exactly 0% or 100%.
func formatPercent(x float64) string {
	p := x * 100
	var s string
	for prec := 3; prec <= 9; prec++ {
		s = strconv.FormatFloat(p, 'f', prec, 64)
		v, _ := strconv.ParseFloat(s, 64)
		if (v == 100) == (p == 100) && (v == 0) == (p == 0) {
			break
		}
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "%"
}

// formatSeconds shows seconds as a Go duration, rounded to a precision that
// suits its size: 312ms, 1.25s, 1m30s, 850µs.
func formatSeconds(x float64) string {
	if math.IsInf(x, 0) || math.Abs(x) > 1e9 {
		return strconv.FormatFloat(x, 'g', 4, 64) + "s"
	}
	d := time.Duration(math.Round(x * 1e9))
	a := d
	if a < 0 {
		a = -a
	}
	switch {
	case a >= time.Minute:
		d = d.Round(time.Second)
	case a >= time.Second:
		d = d.Round(10 * time.Millisecond)
	case a >= 10*time.Millisecond:
		d = d.Round(time.Millisecond)
	case a >= time.Millisecond:
		d = d.Round(100 * time.Microsecond)
	case a >= time.Microsecond:
		d = d.Round(time.Microsecond)
	}
	return d.String()
}
