// Package human formats the numbers of reports and comparisons the way every
// rendering shows them.
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration formats a duration compactly with about three significant digits.
func Duration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d == 0:
		s = "0s"
	case d < time.Microsecond:
		s = fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		s = fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		s = trimZeros(fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond))) + "ms"
	case d < time.Second:
		s = trimZeros(fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))) + "ms"
	case d < time.Minute:
		s = trimZeros(fmt.Sprintf("%.2f", d.Seconds())) + "s"
	default:
		s = d.Round(time.Second).String()
	}
	if neg {
		return "-" + s
	}
	return s
}

// Rate formats a fraction in [0, 1] as a percentage with three decimals
// (success and error rates, where 99.9% and 99.99% must read differently).
func Rate(f float64) string {
	if f == 1 {
		return "100%"
	}
	if f == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.3f%%", f*100)
}

// Share formats a fraction as a percentage with one decimal.
func Share(f float64) string {
	return fmt.Sprintf("%.1f%%", f*100)
}

// Float formats a number with up to three decimals and no trailing zeros.
func Float(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := trimZeros(fmt.Sprintf("%.3f", v))
	if s == "-0" {
		return "0"
	}
	return s
}

// trimZeros drops trailing zeros of a decimal number, and the point if
// nothing is left after it.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// Count formats a whole number with thousands separators: 40,000.
func Count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
