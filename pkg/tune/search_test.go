package tune

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/scenario"
)

// system is a fake system under test with a known threshold: a run with
// the variable below threshold fails 40 of its 1000 requests with 5xx,
// one at or above it fails none (unless flaky says otherwise). It judges
// the condition with the real check expressions, as a run does.
type system struct {
	t         *testing.T
	threshold int64
	until     []string
	// flaky makes the n-th run (from 1) fail whatever its value.
	flaky map[int]bool
	runs  []string
	dirs  []string
}

func (s *system) Run(_ context.Context, value, dir string) (*report.Report, error) {
	s.runs = append(s.runs, value)
	s.dirs = append(s.dirs, dir)
	v, err := strconv.ParseInt(strings.TrimSuffix(value, "s"), 10, 64)
	if err != nil {
		s.t.Fatalf("value %q: %v", value, err)
	}
	var failed uint64
	if v < s.threshold || s.flaky[len(s.runs)] {
		failed = 40
	}
	return s.report(1000, failed), nil
}

// report is a completed run of requests with failed 5xx, judged by the
// condition's checks.
func (s *system) report(requests, failed uint64) *report.Report {
	r := &report.Report{Summary: report.Summary{Requests: requests, Successes: requests - failed}, Status: report.StatusPassed}
	values := check.Map{"status_5xx": float64(failed), "success_rate": float64(requests-failed) / float64(requests)}
	for _, src := range s.until {
		e, err := check.Parse(src)
		if err != nil {
			s.t.Fatal(err)
		}
		pass, actual, ok := e.Eval(values)
		r.Checks = append(r.Checks, report.CheckResult{Expr: src, Passed: pass && ok, Actual: e.FormatValue(actual)})
		if !pass {
			r.Status, r.ExitCode = report.StatusFailed, report.ExitChecksFailed
		}
	}
	return r
}

func newSystem(t *testing.T, threshold int64) *system {
	return &system{t: t, threshold: threshold, until: []string{"status_5xx == 0"}}
}

func mustRange(t *testing.T, vary, res string) Range {
	t.Helper()
	r, err := ParseRange(vary, res)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func options(t *testing.T, s *system, rg Range) Options {
	return Options{Scenario: "s.yaml", Range: rg, Condition: s.until, Dir: t.TempDir()}
}

func TestSearchFindsThreshold(t *testing.T) {
	for _, tc := range []struct {
		name, vary, res string
		threshold       int64
		pass, fail      string
	}{
		{"preStop 7s in 0s..60s", "setup.preStopSleep=0s..60s", "", 7, "7s", "6s"},
		{"threshold on the high end off the grid", "setup.preStopSleep=0s..10s", "3s", 10, "10s", "9s"},
		{"threshold at the first step", "setup.deregistrationDelay=0s..60s", "5s", 1, "5s", "0s"},
		{"grace period counted in seconds", "setup.terminationGracePeriodSeconds=0..60", "5", 23, "25", "20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSystem(t, tc.threshold)
			rg := mustRange(t, tc.vary, tc.res)
			o := options(t, s, rg)
			var seen []Step
			o.OnStep = func(r *Result, st Step) error {
				seen = append(seen, st)
				if len(r.Steps) != len(seen) {
					t.Errorf("OnStep saw %d steps in the result after %d runs", len(r.Steps), len(seen))
				}
				return nil
			}
			r, err := Search(context.Background(), s, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != OutcomeFound || r.Passing != tc.pass || r.Failing != tc.fail || !r.Resolved || r.ExitCode != report.ExitOK {
				t.Fatalf("outcome %s, bracket [%s, %s] resolved %v exit %d; want found [%s, %s]", r.Outcome, r.Failing, r.Passing, r.Resolved, r.ExitCode, tc.fail, tc.pass)
			}
			if r.Runs() != len(s.runs) || len(seen) != len(s.runs) || r.Runs() > rg.MaxRuns(1) {
				t.Fatalf("%d steps, %d runs, %d seen; at most %d planned", r.Runs(), len(s.runs), len(seen), rg.MaxRuns(1))
			}
			if s.runs[0] != rg.Format(rg.Lo) || s.runs[1] != rg.Format(rg.Hi) {
				t.Fatalf("runs %v: want the low end, then the high end first", s.runs)
			}
			for i, st := range r.Steps {
				if st.Run != i+1 || st.Value != s.runs[i] || st.Dir != s.dirs[i] || filepath.Dir(st.Dir) != o.Dir || st.Requests != 1000 {
					t.Fatalf("step %d %+v: want run %d of %s in %s with its requests", i, st, i+1, s.runs[i], s.dirs[i])
				}
				v, _ := strconv.ParseInt(strings.TrimSuffix(st.Value, "s"), 10, 64)
				if st.Held != (v >= tc.threshold) || st.Held != (st.Failures == 0) {
					t.Fatalf("step %+v: held %v, want %v", st, st.Held, v >= tc.threshold)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(s.runs)))) != len(s.runs) {
				t.Fatalf("runs %v: a value was run twice", s.runs)
			}
			text := strings.Join(r.Confidence, "\n")
			for _, want := range []string{"Smallest value that holds: " + tc.pass, "[" + tc.fail + ", " + tc.pass + "]", "below 3/", "rule of three"} {
				if !strings.Contains(text, want) {
					t.Errorf("confidence lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestSearchRuns(t *testing.T) {
	// 0s..60s at 1s: both ends, then six halvings of 60 steps.
	s := newSystem(t, 7)
	r, err := Search(context.Background(), s, options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "1s")))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0s", "60s", "30s", "15s", "7s", "3s", "5s", "6s"}
	if !slices.Equal(s.runs, want) {
		t.Fatalf("runs %v, want %v", s.runs, want)
	}
	if !strings.Contains(r.Confidence[0], "8 runs of 8 values") || !strings.Contains(r.Confidence[0], "at most 8 planned") {
		t.Fatalf("first statement %q: want 8 runs of 8 values, at most 8 planned", r.Confidence[0])
	}
	if !strings.Contains(strings.Join(r.Confidence, "\n"), "7s (1 run, 0 of 1000 requests failed)") {
		t.Fatalf("confidence %q lacks the passing value's evidence", r.Confidence)
	}
	if !strings.Contains(strings.Join(r.Confidence, "\n"), "below 3/1000 = 0.3%") {
		t.Fatalf("confidence %q lacks the rule of three for 1000 requests", r.Confidence)
	}
}

func TestSearchEnds(t *testing.T) {
	t.Run("the low end passes", func(t *testing.T) {
		s := newSystem(t, 0)
		r, err := Search(context.Background(), s, options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "")))
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != OutcomeLowPasses || r.ExitCode != report.ExitOK || len(s.runs) != 1 || r.Passing != "0s" || r.Failing != "" {
			t.Fatalf("outcome %s exit %d runs %v bracket [%s, %s]; want low-end-passes after one run of 0s", r.Outcome, r.ExitCode, s.runs, r.Failing, r.Passing)
		}
		if !strings.Contains(strings.Join(r.Confidence, " "), "Every value of the range passes") {
			t.Fatalf("confidence %q does not say every value passes", r.Confidence)
		}
	})
	t.Run("no value passes", func(t *testing.T) {
		s := newSystem(t, 61)
		r, err := Search(context.Background(), s, options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "")))
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != OutcomeNonePass || r.ExitCode != report.ExitChecksFailed || !slices.Equal(s.runs, []string{"0s", "60s"}) || r.Passing != "" || r.Failing != "60s" {
			t.Fatalf("outcome %s exit %d runs %v bracket [%s, %s]; want none-pass (exit 3) after 0s and 60s", r.Outcome, r.ExitCode, s.runs, r.Failing, r.Passing)
		}
		if !strings.Contains(strings.Join(r.Confidence, " "), "No value of the range holds") {
			t.Fatalf("confidence %q does not say no value holds", r.Confidence)
		}
	})
	t.Run("max runs", func(t *testing.T) {
		s := newSystem(t, 7)
		o := options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", ""))
		o.MaxRuns = 4
		r, err := Search(context.Background(), s, o)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != OutcomeMaxRuns || len(s.runs) != 4 || r.Resolved || r.Passing != "15s" || r.Failing != "0s" || r.Width != "15s" || r.ExitCode != report.ExitOK {
			t.Fatalf("outcome %s runs %v bracket [%s, %s] width %s resolved %v; want max-runs after 4 runs at [0s, 15s]", r.Outcome, s.runs, r.Failing, r.Passing, r.Width, r.Resolved)
		}
	})
}

func TestSearchRepeat(t *testing.T) {
	// Three runs per value; the 6th run (the second of 30s) fails although
	// 30s is above the threshold, so 30s fails and its third run is not made.
	s := newSystem(t, 7)
	s.flaky = map[int]bool{6: true}
	o := options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "1s"))
	o.Repeat, o.MaxRuns = 3, 40
	r, err := Search(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.runs[:8], []string{"0s", "60s", "60s", "60s", "30s", "30s", "45s", "45s"}) {
		t.Fatalf("runs %v: want one run of 0s (it fails), three of 60s, two of 30s (the second fails), then 45s", s.runs)
	}
	// With 30s wrongly failed, the search ends above it: the bracket is
	// what the evidence says, with three runs of the passing value.
	if r.Outcome != OutcomeFound || r.Passing != "31s" || r.Failing != "30s" {
		t.Fatalf("outcome %s bracket [%s, %s]; want found [30s, 31s]", r.Outcome, r.Failing, r.Passing)
	}
	if e := r.of("31s"); e.runs != 3 || !e.held || e.requests != 3000 {
		t.Fatalf("31s evidence %+v: want 3 runs, 3000 requests, held", e)
	}
	if !strings.Contains(strings.Join(r.Confidence, " "), "3000 requests and 0 failures in 3 runs") {
		t.Fatalf("confidence %q: want the three runs of 31s counted", r.Confidence)
	}
	for _, st := range r.Steps {
		if !strings.HasSuffix(st.Dir, "-"+strconv.Itoa(st.Repeat)) {
			t.Fatalf("step %+v: a repeated run's directory names its repeat", st)
		}
	}
}

func TestSearchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newSystem(t, 7)
	runs := 0
	run := RunnerFunc(func(ctx context.Context, value, dir string) (*report.Report, error) {
		runs++
		if runs == 3 {
			// Interrupted during the third run: it ends cut short.
			cancel()
			r := s.report(300, 0)
			r.Status, r.Incomplete, r.IncompleteReason, r.ExitCode = report.StatusError, true, "interrupted", report.ExitError
			return r, nil
		}
		return s.Run(ctx, value, dir)
	})
	o := options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", ""))
	written := 0
	o.OnStep = func(r *Result, _ Step) error {
		written++
		return Write(o.Dir, r)
	}
	r, err := Search(ctx, run, o)
	if err == nil || r == nil {
		t.Fatalf("result %v, error %v: want the steps so far and an error", r, err)
	}
	if r.Outcome != OutcomeInterrupted || r.ExitCode != report.ExitError || runs != 3 || len(r.Steps) != 3 || !r.Steps[2].Interrupted || r.Steps[2].Held {
		t.Fatalf("outcome %s exit %d after %d runs, steps %+v; want interrupted (exit 1) after the third", r.Outcome, r.ExitCode, runs, r.Steps)
	}
	if r.Passing != "60s" || r.Failing != "0s" {
		t.Fatalf("bracket [%s, %s]: want [0s, 60s], the interrupted run no evidence", r.Failing, r.Passing)
	}
	saved, err := Load(o.Dir)
	if err != nil || written != 3 || len(saved.Steps) != 3 {
		t.Fatalf("saved %v (%v) after %d writes: want the three steps on disk", saved, err, written)
	}
}

// codedError is a run error with its exit code, as drill's runner gives.
type codedError struct{ code int }

func (e codedError) Error() string { return "clean up after the run: a finalizer holds web" }
func (e codedError) ExitCode() int { return e.code }

func TestSearchStopsOnRunError(t *testing.T) {
	s := newSystem(t, 7)
	runs := 0
	run := RunnerFunc(func(ctx context.Context, value, dir string) (*report.Report, error) {
		if runs++; runs == 2 {
			return nil, codedError{report.ExitUnrecovered}
		}
		return s.Run(ctx, value, dir)
	})
	r, err := Search(context.Background(), run, options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "")))
	if err == nil || !strings.Contains(err.Error(), "finalizer") {
		t.Fatalf("error %v: want the run's", err)
	}
	if r.Outcome != OutcomeError || r.ExitCode != report.ExitUnrecovered || runs != 2 || !strings.Contains(r.Error, "60s") {
		t.Fatalf("outcome %s exit %d after %d runs, error %q: want error, exit 5, after the second run naming it", r.Outcome, r.ExitCode, runs, r.Error)
	}

	// A run that errored without saying why (its report's status error)
	// stops the search too; an aborted run is evidence that it failed.
	runs = 0
	run = RunnerFunc(func(ctx context.Context, value, dir string) (*report.Report, error) {
		runs++
		r := s.report(100, 0)
		switch value {
		case "0s":
			r.Status, r.ExitCode = report.StatusAborted, report.ExitAborted
		case "60s":
			r.Status, r.ExitCode, r.Incomplete, r.IncompleteReason = report.StatusError, report.ExitError, true, "setup: rollout stalled"
		}
		return r, nil
	})
	r, err = Search(context.Background(), run, options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "")))
	if err == nil || r.Outcome != OutcomeError || r.ExitCode != report.ExitError || runs != 2 || r.Failing != "0s" || !strings.Contains(r.Error, "rollout stalled") {
		t.Fatalf("outcome %s exit %d runs %d failing %q error %q (%v): want the aborted 0s failing, the errored 60s stopping", r.Outcome, r.ExitCode, runs, r.Failing, r.Error, err)
	}
}

func TestSearchStopsWhenARunLeftSomething(t *testing.T) {
	s := newSystem(t, 7)
	run := RunnerFunc(func(ctx context.Context, value, dir string) (*report.Report, error) {
		r := s.report(1000, 40)
		r.ExitCode = report.ExitUnrecovered
		return r, nil
	})
	r, err := Search(context.Background(), run, options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "")))
	if err == nil || r.Outcome != OutcomeError || r.ExitCode != report.ExitUnrecovered || len(r.Steps) != 1 || !strings.Contains(r.Error, "drill recover") {
		t.Fatalf("outcome %s exit %d steps %d error %q: want the search stopped at the run that left something, exit 5", r.Outcome, r.ExitCode, len(r.Steps), r.Error)
	}
}

func TestOptionsCheck(t *testing.T) {
	rg := mustRange(t, "setup.preStopSleep=0s..60s", "")
	o := Options{Range: rg, Repeat: 3, MaxRuns: 5}
	err := o.Check()
	if err == nil || !strings.Contains(err.Error(), "--max-runs 5: at least 6") || !strings.Contains(err.Error(), "--until") {
		t.Fatalf("error %v: want --max-runs and the missing condition named", err)
	}
	if _, serr := Search(context.Background(), RunnerFunc(func(context.Context, string, string) (*report.Report, error) {
		t.Fatal("a run was made with invalid options")
		return nil, nil
	}), o); serr == nil {
		t.Fatal("Search accepted invalid options")
	}
}

func TestParseRange(t *testing.T) {
	good := []struct {
		vary, res string
		want      Range
	}{
		{"setup.preStopSleep=0s..60s", "", Range{scenario.VarPreStopSleep, scenario.UnitSeconds, 0, 60, 1}},
		{"setup.preStopSleep=0s..2m", "5s", Range{scenario.VarPreStopSleep, scenario.UnitSeconds, 0, 120, 5}},
		{"setup.deregistrationDelay=0s..300s", "10s", Range{scenario.VarDeregistrationDelay, scenario.UnitSeconds, 0, 300, 10}},
		{"setup.terminationGracePeriodSeconds=0..60", "", Range{scenario.VarGracePeriod, scenario.UnitCount, 0, 60, 1}},
	}
	for _, g := range good {
		r, err := ParseRange(g.vary, g.res)
		if err != nil || r != g.want {
			t.Errorf("ParseRange(%q, %q) = %+v, %v; want %+v", g.vary, g.res, r, err, g.want)
		}
	}
	bad := []struct{ vary, res, want string }{
		{"setup.preStopSleep", "", "want VARIABLE=LOW..HIGH"},
		{"setup.prestop=0s..60s", "", "not a variable of a scenario; drill tune varies one of target.lab.nodes"},
		{"target.lab.proxyMode=iptables..ipvs", "", "its values have no order"},
		{"setup.preStopSleep=0s-60s", "", "want LOW..HIGH"},
		{"setup.preStopSleep=60s..30s", "", "the low end 60s must be below the high end 30s"},
		{"setup.preStopSleep=30s..30s", "", "must be below"},
		{"setup.preStopSleep=0s..60", "", "60 has no unit but 0s has one (units mixed): write 60s"},
		{"setup.preStopSleep=0..60", "", "high end: 60: setup.preStopSleep is a duration: write 60s"},
		{"setup.preStopSleep=0.5s..60s", "", "takes whole seconds"},
		{"setup.preStopSleep=..60s", "", "low end: empty"},
		{"setup.terminationGracePeriodSeconds=0s..60", "", "0s is a duration but 60 is not (units mixed)"},
		{"setup.terminationGracePeriodSeconds=0s..60s", "", "is a whole number, not a duration: write 0"},
		{"setup.preStopSleep=0s..60s", "0s", "--resolution 0s: must be at least 1s"},
		{"setup.preStopSleep=0s..60s", "2m", "--resolution 2m: wider than the range 0s..60s"},
		{"setup.preStopSleep=0s..60s", "1", "--resolution: 1: setup.preStopSleep is a duration: write 1s"},
	}
	for _, b := range bad {
		_, err := ParseRange(b.vary, b.res)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseRange(%q, %q) error %v; want it to contain %q", b.vary, b.res, err, b.want)
		}
	}
	// Both ends wrong: both reported.
	_, err := ParseRange("setup.preStopSleep=x..y", "")
	if err == nil || !strings.Contains(err.Error(), "low end") || !strings.Contains(err.Error(), "high end") {
		t.Errorf("error %v: want both ends named", err)
	}
}

func TestRangeMaxRuns(t *testing.T) {
	for _, tc := range []struct {
		vary, res string
		repeat    int
		want      int
	}{
		{"setup.preStopSleep=0s..60s", "1s", 1, 8},
		{"setup.preStopSleep=0s..12s", "3s", 1, 4},
		{"setup.preStopSleep=0s..1s", "1s", 1, 2},
		{"setup.preStopSleep=0s..60s", "1s", 3, 24},
	} {
		if got := mustRange(t, tc.vary, tc.res).MaxRuns(tc.repeat); got != tc.want {
			t.Errorf("%s at %s ×%d: %d runs at most, want %d", tc.vary, tc.res, tc.repeat, got, tc.want)
		}
	}
}

func TestWriteAndRender(t *testing.T) {
	s := newSystem(t, 7)
	o := options(t, s, mustRange(t, "setup.preStopSleep=0s..60s", "10s"))
	r, err := Search(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(o.Dir, r); err != nil {
		t.Fatal(err)
	}
	back, err := Load(o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Passing != "10s" || back.Failing != "0s" || len(back.Steps) != len(r.Steps) || back.Steps[0].Checks[0].Actual != "40" {
		t.Fatalf("loaded %+v: want the bracket [0s, 10s] and every step with its checks", back)
	}
	table, err := os.ReadFile(filepath.Join(o.Dir, TableName))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"requests", "condition", "held", "failed", "✗ status_5xx == 0 (40)", r.Steps[0].Dir, "Outcome: found", "rule of three"} {
		if !strings.Contains(string(table), want) {
			t.Errorf("tune.txt lacks %q:\n%s", want, table)
		}
	}
	if _, err := Load(filepath.Join(o.Dir, "missing")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	if err := errors.Join(os.WriteFile(filepath.Join(o.Dir, "other.json"), []byte(`{"schema":"drill.report/v1"}`), 0o644)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(o.Dir, "other.json")); err == nil || !strings.Contains(err.Error(), Schema) {
		t.Errorf("Load of a report: %v; want the schema named", err)
	}
}
