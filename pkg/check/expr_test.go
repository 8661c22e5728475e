package check

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Expr
	}{
		{"percent", "success_rate >= 99.9%", Expr{"success_rate >= 99.9%", "success_rate", ">=", 0.999, Ratio, Absolute}},
		{"fraction", "success_rate>=0.999", Expr{"success_rate>=0.999", "success_rate", ">=", 0.999, Ratio, Absolute}},
		{"ratio one", "success_rate == 1", Expr{"success_rate == 1", "success_rate", "==", 1, Ratio, Absolute}},
		{"ms", "p99 < 300ms", Expr{"p99 < 300ms", "p99", "<", 0.3, Duration, Absolute}},
		{"compound duration", "max_latency <= 1m30s", Expr{"max_latency <= 1m30s", "max_latency", "<=", 90, Duration, Absolute}},
		{"zero duration", "max_error_burst == 0", Expr{"max_error_burst == 0", "max_error_burst", "==", 0, Duration, Absolute}},
		{"count", "  status_5xx == 0  ", Expr{"status_5xx == 0", "status_5xx", "==", 0, Count, Absolute}},
		{"status code", "status_502 != 3", Expr{"status_502 != 3", "status_502", "!=", 3, Count, Absolute}},
		{"exponent count", "requests > 1e3", Expr{"requests > 1e3", "requests", ">", 1000, Count, Absolute}},
		{"number", "backend_share_cv < 0.25", Expr{"backend_share_cv < 0.25", "backend_share_cv", "<", 0.25, Number, Absolute}},
		{"rate", "rate > 299.5", Expr{"rate > 299.5", "rate", ">", 299.5, Number, Absolute}},
		{"tabs", "p50\t<\t2s", Expr{"p50\t<\t2s", "p50", "<", 2, Duration, Absolute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if math.Abs(got.Threshold-tt.want.Threshold) > 1e-12 {
				t.Errorf("threshold = %v, want %v", got.Threshold, tt.want.Threshold)
			}
			got.Threshold = tt.want.Threshold
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.src, got, tt.want)
			}
		})
	}
}

func TestParseRelative(t *testing.T) {
	for _, tc := range []struct {
		src       string
		rel       Relative
		threshold float64
		format    string
		base, at  float64 // the threshold at the baseline's value base
	}{
		{"p99 <= +10%", RelativePercent, 0.1, "+10%", 0.2, 0.22},
		{"success_rate >= -0.1%", RelativePercent, -0.001, "-0.1%", 1, 0.999},
		{"p50 < +5ms", RelativeDelta, 0.005, "+5ms", 0.01, 0.015},
		{"errors <= +10", RelativeDelta, 10, "+10", 3, 13},
		{"errors <= -10", RelativeDelta, -10, "-10", 3, 0},
		{"p99 < 300ms", Absolute, 0.3, "300ms", 1, 0.3},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.src, err)
		}
		if e.Relative != tc.rel || math.Abs(e.Threshold-tc.threshold) > 1e-12 || e.FormatThreshold() != tc.format {
			t.Errorf("Parse(%q): relative %d, threshold %v (%s); want %d, %v (%s)", tc.src, e.Relative, e.Threshold, e.FormatThreshold(), tc.rel, tc.threshold, tc.format)
		}
		if got := e.ThresholdFor(tc.base); math.Abs(got-tc.at) > 1e-12 {
			t.Errorf("%q: threshold for a baseline of %v = %v, want %v", tc.src, tc.base, got, tc.at)
		}
	}
	e, _ := Parse("p99 <= +10%")
	if _, _, ok := e.Eval(Map{"p99": 0.1}); ok {
		t.Error("a relative check evaluated without a baseline")
	}
	for _, tc := range []struct {
		cand, base float64
		pass       bool
	}{{0.21, 0.2, true}, {0.22, 0.2, true}, {0.23, 0.2, false}} {
		pass, actual, threshold, ok := e.EvalRelative(Map{"p99": tc.cand}, Map{"p99": tc.base})
		if !ok || pass != tc.pass || actual != tc.cand || math.Abs(threshold-0.22) > 1e-12 {
			t.Errorf("p99 %v against %v: pass %v, threshold %v, ok %v; want pass %v", tc.cand, tc.base, pass, threshold, ok, tc.pass)
		}
	}
	if _, _, _, ok := e.EvalRelative(Map{"p99": 0.1}, Map{}); ok {
		t.Error("a baseline without the metric evaluated")
	}
	if _, err := ParseAbort("error_rate > +10% for 5s"); err == nil || !strings.Contains(err.Error(), "baseline") {
		t.Errorf("a relative abort condition: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		col  int
		msg  []string // substrings the message must contain
	}{
		{"empty", "  ", 3, []string{"empty expression"}},
		{"unknown metric suggests", "sucess_rate >= 99%", 1, []string{`unknown metric "sucess_rate"`, `did you mean "success_rate"`, "known metrics: requests,", "status_NNN"}},
		{"uppercase suggests", "P99 < 1s", 1, []string{`did you mean "p99"`}},
		{"bad status code", "status_700 == 0", 1, []string{"100 to 599"}},
		{"not a metric", "  99% > success_rate", 3, []string{"expected a metric name"}},
		{"missing op", "p99", 4, []string{"missing operator"}},
		{"bad op", "p99 ~ 1s", 5, []string{"expected an operator"}},
		{"single equals", "errors = 0", 8, []string{`use "=="`}},
		{"reversed op", "errors => 0", 8, []string{`did you mean ">="`}},
		{"triple op", "errors <== 0", 8, []string{`"<=="`}},
		{"missing threshold", "p99 <", 6, []string{"missing threshold", "300ms"}},
		{"percent on duration", "p99 < 99%", 7, []string{"p99 is a duration", "percentage"}},
		{"duration on ratio", "success_rate >= 300ms", 17, []string{"success_rate is a ratio", `unit "ms"`}},
		{"ratio above one", "success_rate >= 99.9", 17, []string{"above 1", "99.9%"}},
		{"percent above 100", "error_rate < 101%", 14, []string{"above 100%"}},
		{"two signs", "errors > +-1", 10, []string{"one sign"}},
		{"relative equality", "p99 == +10%", 8, []string{"needs < <= > or >="}},
		{"relative decrease below zero", "p99 < -150%", 7, []string{"at most -100%"}},
		{"relative not a percentage", "p99 < +x%", 7, []string{"not a percentage"}},
		{"relative in the wrong unit", "p99 < +5", 7, []string{`relative threshold "+5"`, "no unit"}},
		{"duration no unit", "p99 < 300", 7, []string{"no unit"}},
		{"bad duration", "p99 < 3xs", 7, []string{"not a duration"}},
		{"fractional count", "errors < 1.5", 10, []string{"whole number"}},
		{"count with unit", "errors < 1s", 10, []string{`unit "s"`}},
		{"nan", "rate > NaN", 8, []string{"not a number"}},
		{"inf", "backend_share_cv < 1e999", 20, []string{"not a number"}},
		{"trailing for", "p99 < 1s for 10s", 10, []string{"only allowed in abort conditions"}},
		{"trailing junk", "p99 < 1s and p50 < 1s", 10, []string{`unexpected "and"`}},
		{"unicode column", "p99 < 1s é", 10, []string{`unexpected "é"`}},
		{"unicode before", "é", 1, []string{"expected a metric name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.src, err)
			}
			if se.Col != tt.col {
				t.Errorf("Parse(%q) col = %d, want %d (%s)", tt.src, se.Col, tt.col, se.Msg)
			}
			for _, m := range tt.msg {
				if !strings.Contains(se.Msg, m) {
					t.Errorf("Parse(%q) message %q does not contain %q", tt.src, se.Msg, m)
				}
			}
		})
	}
}

func TestEval(t *testing.T) {
	v := Map{"success_rate": 0.9995, "p99": 0.312, "errors": 0, "rate": math.NaN()}
	tests := []struct {
		src    string
		pass   bool
		ok     bool
		actual string
	}{
		{"success_rate >= 99.9%", true, true, "99.95%"},
		{"success_rate > 99.95%", false, true, "99.95%"},
		{"success_rate == 99.95%", true, true, "99.95%"},
		{"p99 < 300ms", false, true, "312ms"},
		{"p99 <= 312ms", true, true, "312ms"},
		{"p99 != 312ms", false, true, "312ms"},
		{"errors == 0", true, true, "0"},
		{"errors > 0", false, true, "0"},
		{"p50 < 1s", false, false, ""},
		{"rate > 1", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			pass, actual, ok := e.Eval(v)
			if pass != tt.pass || ok != tt.ok {
				t.Errorf("Eval = pass %v ok %v, want pass %v ok %v", pass, ok, tt.pass, tt.ok)
			}
			if ok && e.FormatValue(actual) != tt.actual {
				t.Errorf("FormatValue(%v) = %q, want %q", actual, e.FormatValue(actual), tt.actual)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		kind Kind
		x    float64
		want string
	}{
		{Ratio, 1, "100%"},
		{Ratio, 0, "0%"},
		{Ratio, 0.999, "99.9%"},
		{Ratio, 0.5, "50%"},
		{Ratio, 0.9999996, "99.99996%"},
		{Ratio, 0.0000001, "0.00001%"},
		{Duration, 0.312, "312ms"},
		{Duration, 0.0123456, "12ms"},
		{Duration, 0.0012345, "1.2ms"},
		{Duration, 0.000850, "850µs"},
		{Duration, 1.2345, "1.23s"},
		{Duration, 90.4, "1m30s"},
		{Duration, 0, "0s"},
		{Count, 12, "12"},
		{Count, 1e7, "10000000"},
		{Number, 0.25, "0.25"},
		{Number, 299.87, "299.9"},
		{Number, math.NaN(), "n/a"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"/"+tt.want, func(t *testing.T) {
			if got := (Expr{Kind: tt.kind}).FormatValue(tt.x); got != tt.want {
				t.Errorf("FormatValue(%v) = %q, want %q", tt.x, got, tt.want)
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	want := "requests successes success_rate error_rate rate throughput status_2xx status_3xx status_4xx status_5xx status_NNN " +
		"errors errors_refused errors_reset errors_timeout errors_eof errors_tls errors_http errors_cancelled errors_other " +
		"p50 p90 p95 p99 p999 max_latency mean_latency max_error_burst error_seconds time_to_recover backends backend_share_cv " +
		"conntrack_drops conntrack_max_fill registration_lag_p50 registration_lag_max deregistration_lag_p50 deregistration_lag_max " +
		"served_after_deletion_p50 served_after_deletion_max kube_proxy_sync_lag_p50 kube_proxy_sync_lag_max prestop_duration_p50 prestop_duration_max sigterm_to_exit_p50 sigterm_to_exit_max shutdown_p50 shutdown_max"
	if got := strings.Join(Names(false), " "); got != want {
		t.Errorf("Names(false) =\n%s\nwant\n%s", got, want)
	}
	wantLive := "requests successes success_rate error_rate rate status_2xx status_3xx status_4xx status_5xx status_NNN " +
		"errors errors_refused errors_reset errors_timeout errors_eof errors_tls errors_http errors_cancelled errors_other p50 p99 max_latency"
	if got := strings.Join(Names(true), " "); got != wantLive {
		t.Errorf("Names(true) =\n%s\nwant\n%s", got, wantLive)
	}
	c := Catalog()
	c[0].Name = "changed"
	if Catalog()[0].Name != "requests" {
		t.Error("Catalog returned shared state")
	}
	for _, m := range Catalog() {
		if m.Help == "" || m.Kind < Ratio || m.Kind > Number {
			t.Errorf("metric %s: incomplete %+v", m.Name, m)
		}
	}
	tests := []struct {
		name string
		ok   bool
		kind Kind
	}{
		{"status_100", true, Count}, {"status_599", true, Count}, {"status_099", false, 0},
		{"status_600", false, 0}, {"status_NNN", false, 0}, {"status_50x", false, 0},
		{"p999", true, Duration}, {"nope", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Lookup(tt.name)
			if ok != tt.ok || m.Kind != tt.kind {
				t.Errorf("Lookup(%q) = %+v, %v", tt.name, m, ok)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"success_rate >= 99.9%", "p99 < 300ms", "status_5xx == 0", "backend_share_cv < 0.25",
		"error_rate<=0.1", "max_latency != 1m30s", "p99 < 99%", "errors = 0", "status_502 > 1e2",
		"", " ", "é < 1", "p99 < 1s for 2s", "success_rate >= 1e-3%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", src, err)
			}
			if se.Col < 1 || se.Col > len([]rune(src))+1 {
				t.Fatalf("Parse(%q) col %d out of range", src, se.Col)
			}
			return
		}
		again, err := Parse(e.Source)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its Source %q fails: %v", src, e.Source, err)
		}
		if again != e {
			t.Fatalf("re-parse of %q = %+v, want %+v", e.Source, again, e)
		}
		if math.IsNaN(e.Threshold) || e.Threshold < 0 || e.Kind == Ratio && e.Threshold > 1 {
			t.Fatalf("Parse(%q) threshold %v out of range", src, e.Threshold)
		}
		_ = e.FormatValue(e.Threshold)
	})
}
