// Package tune finds the smallest value of a scenario variable for which
// the scenario's checks hold (drill tune): it bisects the variable's range
// over real runs and keeps every run's evidence.
package tune

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// Runner runs the scenario once with the search's variable at value
// (written as a scenario writes it: 15s, 30) into dir, and returns the
// run's report. A run that could not be carried out returns an error, with
// the report when it has one.
type Runner interface {
	Run(ctx context.Context, value, dir string) (*report.Report, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, value, dir string) (*report.Report, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, value, dir string) (*report.Report, error) {
	return f(ctx, value, dir)
}

var _ Runner = RunnerFunc(nil)

// Default search settings.
const (
	DefaultRepeat  = 1
	DefaultMaxRuns = 20
)

// Options configure a search.
type Options struct {
	// Scenario names the scenario in the result.
	Scenario string
	Range    Range
	// Condition lists the checks a run must pass, as the result shows
	// them; the runner's reports judge them.
	Condition []string
	// Repeat is how many runs a value must pass (DefaultRepeat when 0);
	// the first failing run decides against it.
	Repeat int
	// MaxRuns bounds the runs of the search (DefaultMaxRuns when 0); at
	// least two values' worth (2·Repeat).
	MaxRuns int
	// Dir is the search's directory: each run gets a directory in it.
	Dir string
	// OnStep is called after every run with the result so far (to write
	// it, print progress); its error stops the search.
	OnStep func(*Result, Step) error
}

// Check reports every problem of o at once.
func (o Options) Check() error {
	var errs []error
	if o.Repeat < 0 {
		errs = append(errs, fmt.Errorf("--repeat-per-step %d: at least 1", o.Repeat))
	}
	repeat := max(o.Repeat, DefaultRepeat)
	if o.MaxRuns < 0 || o.MaxRuns > 0 && o.MaxRuns < 2*repeat {
		errs = append(errs, fmt.Errorf("--max-runs %d: at least %d, to run both ends of the range %d times each", o.MaxRuns, 2*repeat, repeat))
	}
	if len(o.Condition) == 0 {
		errs = append(errs, errors.New("no condition: the scenario has no checks; give one with --until, e.g. --until 'status_5xx == 0'"))
	}
	return errors.Join(errs...)
}

// Search bisects o.Range for the smallest value that holds: it runs the
// low end (if it holds, so does every value), then the high end (if it
// fails, none does), then the middle of the bracket [last failing, first
// passing] until the bracket is as narrow as the resolution or MaxRuns
// runs were made. It stops after the current run when ctx is cancelled.
// The result is always returned, with every run so far; the error says
// why the search could not go on (OnStep's error, a run's error, an
// interruption).
func Search(ctx context.Context, run Runner, o Options) (*Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Repeat == 0 {
		o.Repeat = DefaultRepeat
	}
	if o.MaxRuns == 0 {
		o.MaxRuns = DefaultMaxRuns
	}
	rg := o.Range
	res := &Result{
		Schema: Schema, Scenario: o.Scenario, Variable: rg.Var,
		Low: rg.Format(rg.Lo), High: rg.Format(rg.Hi), Resolution: rg.Format(rg.Resolution),
		Condition: o.Condition, Repeat: o.Repeat, MaxRuns: o.MaxRuns,
		StartedAt: time.Now().UTC(), Steps: []Step{},
	}
	s := &search{ctx: ctx, run: run, o: o, res: res}
	fail, pass := int64(-1), int64(-1)
	err := func() error {
		held, err := s.value(0)
		if err != nil {
			return err
		}
		if held {
			pass = 0
			res.Outcome = OutcomeLowPasses
			return nil
		}
		fail = 0
		top := rg.Points()
		if held, err = s.value(top); err != nil {
			return err
		}
		if !held {
			fail = top
			res.Outcome = OutcomeNonePass
			return nil
		}
		pass = top
		for pass-fail > 1 {
			if res.Runs()+o.Repeat > o.MaxRuns {
				res.Outcome = OutcomeMaxRuns
				return nil
			}
			mid := fail + (pass-fail)/2
			if held, err = s.value(mid); err != nil {
				return err
			}
			if held {
				pass = mid
			} else {
				fail = mid
			}
		}
		res.Outcome = OutcomeFound
		return nil
	}()
	switch {
	case err != nil && ctx.Err() != nil:
		res.Outcome = OutcomeInterrupted
	case err != nil:
		res.Outcome = OutcomeError
		res.Error = err.Error()
	}
	res.conclude(rg, rg.Value(max(fail, 0)), rg.Value(max(pass, 0)), fail >= 0, pass >= 0)
	if res.Outcome == OutcomeError {
		res.ExitCode = report.ExitError
		if n := len(res.Steps); n > 0 && res.Steps[n-1].ExitCode != report.ExitOK && res.Steps[n-1].Error != "" {
			res.ExitCode = res.Steps[n-1].ExitCode
		}
	}
	res.EndedAt = time.Now().UTC()
	return res, err
}

// search is one search under way.
type search struct {
	ctx context.Context
	run Runner
	o   Options
	res *Result
}

// errInterrupted stops a search whose context was cancelled.
var errInterrupted = errors.New("interrupted")

// value runs the k-th value of the grid up to Repeat times, until a run
// fails, and says whether every run held.
func (s *search) value(k int64) (bool, error) {
	rg := s.o.Range
	v := rg.Format(rg.Value(k))
	for i := 1; i <= s.o.Repeat; i++ {
		if s.ctx.Err() != nil {
			return false, errInterrupted
		}
		st := Step{Run: s.res.Runs() + 1, Value: v, Repeat: i}
		name := fmt.Sprintf("%02d-%s-%s", st.Run, shortVar(rg.Var), v)
		if s.o.Repeat > 1 {
			name += fmt.Sprintf("-%d", i)
		}
		st.Dir = filepath.Join(s.o.Dir, name)
		start := time.Now()
		r, err := s.run.Run(s.ctx, v, st.Dir)
		st.Duration = time.Since(start)
		judge(&st, r, err, s.ctx.Err() != nil)
		s.res.Steps = append(s.res.Steps, st)
		if s.o.OnStep != nil {
			if oerr := s.o.OnStep(s.res, st); oerr != nil {
				return false, oerr
			}
		}
		switch {
		case st.Interrupted:
			return false, errInterrupted
		case st.Error != "":
			return false, fmt.Errorf("run %d (%s=%s, %s): %s", st.Run, rg.Var, v, st.Dir, st.Error)
		case !st.Held:
			return false, nil
		}
	}
	return true, nil
}

// judge fills in a step from its run's report: the condition holds when
// the run completed and passed its checks; an aborted run fails it; a run
// that errored, or left something behind, is no evidence and stops the
// search.
func judge(st *Step, r *report.Report, err error, interrupted bool) {
	if r != nil {
		st.Status = r.Status
		st.Requests = r.Summary.Requests
		st.Failures = r.Summary.Requests - r.Summary.Successes
		st.ExitCode = r.ExitCode
		for _, c := range r.Checks {
			if r.Status == report.StatusError {
				break // not judged: the run did not get that far
			}
			st.Checks = append(st.Checks, Check{Expr: c.Expr, Actual: c.Actual, Passed: c.Passed})
		}
	}
	switch {
	case interrupted:
		st.Interrupted = true
		st.ExitCode = report.ExitError
	case err != nil:
		st.Error = err.Error()
		if st.ExitCode == report.ExitOK {
			st.ExitCode = report.ExitError
		}
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			st.ExitCode = coded.ExitCode()
		}
	case r == nil:
		st.Error = "the run gave no report"
		st.ExitCode = report.ExitError
	case r.ExitCode == report.ExitUnrecovered:
		st.Error = "the run left something behind (exit 5): see its report; drill recover undoes a fault left applied"
	case r.Status == report.StatusPassed && !r.Incomplete:
		st.Held = true
	case r.Status == report.StatusFailed, r.Status == report.StatusAborted:
	case r.Status == report.StatusUnjudged:
		st.Error = "the run had no checks to judge"
	default:
		st.Error = fmt.Sprintf("the run ended %s", r.Status)
		if r.IncompleteReason != "" {
			st.Error += ": " + r.IncompleteReason
		}
	}
}

// shortVar is a variable's name without its section, for directory names.
func shortVar(name string) string {
	return name[strings.LastIndexByte(name, '.')+1:]
}
