package check

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseAbort(t *testing.T) {
	tests := []struct {
		src    string
		metric string
		thr    float64
		dur    time.Duration
	}{
		{"error_rate > 20% for 10s", "error_rate", 0.2, 10 * time.Second},
		{"error_rate > 20%", "error_rate", 0.2, time.Second},
		{"  status_5xx > 100 for 1m ", "status_5xx", 100, time.Minute},
		{"p99 > 2s for 3s", "p99", 2, 3 * time.Second},
		{"requests == 0 for 5s", "requests", 0, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			a, err := ParseAbort(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if a.Expr.Metric != tt.metric || math.Abs(a.Expr.Threshold-tt.thr) > 1e-12 || a.For != tt.dur {
				t.Errorf("ParseAbort(%q) = %+v", tt.src, a)
			}
			if a.Source != strings.TrimSpace(tt.src) {
				t.Errorf("Source = %q", a.Source)
			}
			if _, err := Parse(a.Expr.Source); err != nil {
				t.Errorf("Expr.Source %q does not parse: %v", a.Expr.Source, err)
			}
		})
	}
}

func TestParseAbortErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		col  int
		msg  []string
	}{
		{"not live", "  p95 > 1s", 3, []string{"p95 cannot be used", "per-second metric: requests,", "max_latency"}},
		{"not live burst", "time_to_recover > 1s", 1, []string{"time_to_recover cannot"}},
		{"no duration", "error_rate > 20% for", 21, []string{`missing duration after "for"`}},
		{"bad duration", "error_rate > 20% for ten", 22, []string{`"ten" is not a duration`}},
		{"sub second", "error_rate > 20% for 500ms", 22, []string{"shorter than one second"}},
		{"fractional", "error_rate > 20% for 1500ms", 22, []string{"whole number of seconds"}},
		{"not for", "error_rate > 20% during 10s", 18, []string{`unexpected "during"`}},
		{"after duration", "error_rate > 20% for 10s please", 26, []string{`unexpected "please"`}},
		{"bad expr", "error_rate > 20s for 10s", 14, []string{"error_rate is a ratio"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAbort(tt.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseAbort(%q) error = %v, want *SyntaxError", tt.src, err)
			}
			if se.Col != tt.col {
				t.Errorf("col = %d, want %d (%s)", se.Col, tt.col, se.Msg)
			}
			for _, m := range tt.msg {
				if !strings.Contains(se.Msg, m) {
					t.Errorf("message %q does not contain %q", se.Msg, m)
				}
			}
		})
	}
}

func TestAbortTracker(t *testing.T) {
	a, err := ParseAbort("error_rate > 20% for 3s")
	if err != nil {
		t.Fatal(err)
	}
	sec := func(rate float64) Values { return Map{"error_rate": rate} }
	none := Map{}
	tests := []struct {
		name    string
		seconds []Values
		fireAt  int // index of the second at which it fires, -1 for never
	}{
		{"three in a row", []Values{sec(0.5), sec(0.3), sec(0.21)}, 2},
		{"broken streak", []Values{sec(0.5), sec(0.5), sec(0.1), sec(0.5), sec(0.5), sec(0.5)}, 5},
		{"equal is not above", []Values{sec(0.2), sec(0.2), sec(0.2), sec(0.2)}, -1},
		{"no data breaks streak", []Values{sec(0.9), sec(0.9), none, sec(0.9), sec(0.9)}, -1},
		{"late", []Values{sec(0), sec(0), sec(1), sec(1), sec(1), sec(0)}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewAbortTracker(a)
			got := -1
			for i, v := range tt.seconds {
				if tr.Observe(v) && got < 0 {
					got = i
				}
			}
			if got != tt.fireAt {
				t.Errorf("fired at second %d, want %d", got, tt.fireAt)
			}
			if tr.Fired() != (tt.fireAt >= 0) {
				t.Errorf("Fired() = %v", tr.Fired())
			}
		})
	}

	t.Run("default one second", func(t *testing.T) {
		a, err := ParseAbort("status_502 > 0")
		if err != nil {
			t.Fatal(err)
		}
		tr := NewAbortTracker(a)
		if tr.Observe(Map{"status_502": 0}) {
			t.Fatal("fired on a passing second")
		}
		if !tr.Observe(Map{"status_502": 4}) {
			t.Fatal("did not fire on the first failing second")
		}
		if !tr.Observe(Map{"status_502": 0}) {
			t.Fatal("a fired tracker must stay fired")
		}
		if want := "status_502 was 4 for 1s from t=1s"; tr.Reason() != want {
			t.Errorf("Reason() = %q, want %q", tr.Reason(), want)
		}
	})
}

func FuzzParseAbort(f *testing.F) {
	for _, s := range []string{
		"error_rate > 20% for 10s", "error_rate > 20%", "p99 > 2s for 1m", "p95 > 1s", "status_5xx > 0 for",
		"errors > 0 for 1.5s", "requests == 0 for 10s extra", "error_rate>0.5 for 1h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		a, err := ParseAbort(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseAbort(%q) error %T, want *SyntaxError", src, err)
			}
			if se.Col < 1 || se.Col > len([]rune(src))+1 {
				t.Fatalf("ParseAbort(%q) col %d out of range", src, se.Col)
			}
			return
		}
		again, err := ParseAbort(a.Source)
		if err != nil || again != a {
			t.Fatalf("re-parse of %q = %+v, %v; want %+v", a.Source, again, err, a)
		}
		e, err := Parse(a.Expr.Source)
		if err != nil || e != a.Expr {
			t.Fatalf("Parse(Expr.Source %q) = %+v, %v; want %+v", a.Expr.Source, e, err, a.Expr)
		}
		if m, _ := Lookup(a.Expr.Metric); !m.Live {
			t.Fatalf("ParseAbort(%q) accepted non-live metric", src)
		}
		if a.For < time.Second || a.For%time.Second != 0 {
			t.Fatalf("ParseAbort(%q) For = %v", src, a.For)
		}
	})
}
