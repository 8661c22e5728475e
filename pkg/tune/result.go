package tune

import (
	"fmt"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// Schema is the version of tune.json.
const Schema = "drill.tune/v1"

// Outcome is how a search ended.
type Outcome string

// Search outcomes.
const (
	// OutcomeFound: the bracket [last failing, first passing] is as narrow
	// as the resolution.
	OutcomeFound Outcome = "found"
	// OutcomeLowPasses: the low end of the range already holds, so every
	// value of the range does (the search assumes monotony).
	OutcomeLowPasses Outcome = "low-end-passes"
	// OutcomeNonePass: not even the high end holds.
	OutcomeNonePass Outcome = "none-pass"
	// OutcomeMaxRuns: the run budget ended before the resolution was
	// reached; the bracket is what is known.
	OutcomeMaxRuns Outcome = "max-runs"
	// OutcomeInterrupted: the search was stopped (SIGINT, SIGTERM) during
	// or between runs.
	OutcomeInterrupted Outcome = "interrupted"
	// OutcomeError: a run could not be carried out, or left something
	// behind; the search stopped there.
	OutcomeError Outcome = "error"
)

// Result is a search and its evidence, written as tune.json.
type Result struct {
	Schema   string `json:"schema"`
	Scenario string `json:"scenario"`
	// Variable is the matrix variable searched, e.g. setup.preStopSleep.
	Variable   string `json:"variable"`
	Low        string `json:"low"`
	High       string `json:"high"`
	Resolution string `json:"resolution"`
	// Condition is the checks every run of a value must pass for the value
	// to hold (--until, or the scenario's own checks).
	Condition []string `json:"condition"`
	Repeat    int      `json:"repeatPerStep"`
	MaxRuns   int      `json:"maxRuns"`

	StartedAt time.Time `json:"startedAt"`
	EndedAt   time.Time `json:"endedAt"`
	Steps     []Step    `json:"steps"`

	Outcome Outcome `json:"outcome"`
	// Failing is the largest value seen to fail below Passing, Passing the
	// smallest value seen to hold; "" when there is none.
	Failing string `json:"lastFailing,omitempty"`
	Passing string `json:"firstPassing,omitempty"`
	// Width is Passing - Failing in the variable's unit, when both are
	// known; Resolved says it is at most the resolution.
	Width    string `json:"bracketWidth,omitempty"`
	Resolved bool   `json:"resolved"`
	// Confidence says what the evidence supports, one statement a line.
	Confidence []string `json:"confidence"`
	// Error says why an errored search stopped.
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode"`
}

// Step is one run of the search.
type Step struct {
	// Run counts the runs of the search from 1.
	Run   int    `json:"run"`
	Value string `json:"value"`
	// Repeat counts the runs of this value from 1 (--repeat-per-step).
	Repeat int `json:"repeat"`
	// Dir is the run's directory (report.json, results.bin).
	Dir      string        `json:"dir"`
	Status   report.Status `json:"status,omitempty"`
	Requests uint64        `json:"requests"`
	Failures uint64        `json:"failures"`
	// Checks are the condition's checks as judged in the run.
	Checks []Check `json:"checks,omitempty"`
	// Held says the run passed the condition.
	Held bool `json:"held"`
	// Interrupted marks a run cut short by the search's interruption: it
	// is no evidence either way.
	Interrupted bool   `json:"interrupted,omitempty"`
	Error       string `json:"error,omitempty"`
	// ExitCode is the run's own exit code.
	ExitCode int           `json:"exitCode"`
	Duration time.Duration `json:"durationNs"`
}

// Check is one check of the condition as a run judged it.
type Check struct {
	Expr   string `json:"expr"`
	Actual string `json:"actual,omitempty"`
	Passed bool   `json:"passed"`
}

// Runs is the number of runs the search made.
func (r *Result) Runs() int { return len(r.Steps) }

// evidence sums the runs of one value.
type evidence struct {
	value              string
	runs               int
	requests, failures uint64
	held               bool
}

func (e evidence) String() string {
	return fmt.Sprintf("%s (%s, %d of %d requests failed)", e.value, runsWord(e.runs), e.failures, e.requests)
}

func runsWord(n int) string { return plural(n, "run") }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// of sums the steps of value.
func (r *Result) of(value string) evidence {
	e := evidence{value: value, held: true}
	for _, s := range r.Steps {
		if s.Value != value || s.Interrupted || s.Error != "" {
			continue
		}
		e.runs++
		e.requests += s.Requests
		e.failures += s.Failures
		e.held = e.held && s.Held
	}
	e.held = e.held && e.runs > 0
	return e
}

// conclude fills in the confidence statements and the exit code from the
// outcome and the bracket.
func (r *Result) conclude(rg Range, failing, passing int64, hasFailing, hasPassing bool) {
	if hasFailing {
		r.Failing = rg.Format(failing)
	}
	if hasPassing {
		r.Passing = rg.Format(passing)
	}
	if hasFailing && hasPassing {
		r.Width = rg.Format(passing - failing)
		r.Resolved = passing-failing <= rg.Resolution
	}
	values := map[string]bool{}
	for _, s := range r.Steps {
		values[s.Value] = true
	}
	var c []string
	c = append(c, fmt.Sprintf("%s of %s of %s=%s..%s at a resolution of %s (at most %d planned).",
		runsWord(r.Runs()), plural(len(values), "value"), rg.Var, r.Low, r.High, r.Resolution, rg.MaxRuns(r.Repeat)))
	switch r.Outcome {
	case OutcomeFound:
		c = append(c, fmt.Sprintf("Smallest value that holds: %s. Bracket [%s, %s]: %s failed, %s held; the resolution %s is reached.",
			r.Passing, r.Failing, r.Passing, r.of(r.Failing), r.of(r.Passing), r.Resolution))
	case OutcomeLowPasses:
		c = append(c, fmt.Sprintf("The low end %s already holds: %s. Every value of the range passes (assuming a larger value is never worse); nothing below %s was run.",
			r.Low, r.of(r.Low), r.Low))
	case OutcomeNonePass:
		c = append(c, fmt.Sprintf("No value of the range holds: even the high end %s failed: %s. Try a range above %s, or look at the failures in its run directory.",
			r.High, r.of(r.High), r.High))
	case OutcomeMaxRuns:
		c = append(c, fmt.Sprintf("--max-runs %d reached before the resolution: bracket [%s, %s] is %s wide, wider than %s. The smallest value known to hold is %s: %s.",
			r.MaxRuns, r.Failing, r.Passing, r.Width, r.Resolution, r.Passing, r.of(r.Passing)))
	case OutcomeInterrupted, OutcomeError:
		how := "Interrupted"
		if r.Outcome == OutcomeError {
			how = "Stopped by an error (" + r.Error + ")"
		}
		switch {
		case hasFailing && hasPassing:
			c = append(c, fmt.Sprintf("%s with the bracket at [%s, %s]: the smallest value known to hold is %s: %s.", how, r.Failing, r.Passing, r.Passing, r.of(r.Passing)))
		case hasPassing:
			c = append(c, fmt.Sprintf("%s: %s holds: %s.", how, r.Passing, r.of(r.Passing)))
		case hasFailing:
			c = append(c, fmt.Sprintf("%s before any value held; %s failed: %s.", how, r.Failing, r.of(r.Failing)))
		default:
			c = append(c, how+" before any run ended.")
		}
	}
	if hasPassing {
		c = append(c, ruleOfThree(r.of(r.Passing)))
	}
	if r.Outcome == OutcomeFound || r.Outcome == OutcomeMaxRuns {
		c = append(c, "Bisection assumes that a value above one that holds also holds; the values it skipped were not run.")
	}
	r.Confidence = c
	switch r.Outcome {
	case OutcomeFound, OutcomeLowPasses, OutcomeMaxRuns:
		r.ExitCode = report.ExitOK
	case OutcomeNonePass:
		r.ExitCode = report.ExitChecksFailed
	case OutcomeInterrupted:
		r.ExitCode = report.ExitError
	}
}

// ruleOfThree bounds the failure rate per request at the passing value.
func ruleOfThree(e evidence) string {
	if e.requests == 0 {
		return fmt.Sprintf("At %s no request was made: there is no bound on its failure rate.", e.value)
	}
	if e.failures > 0 {
		return fmt.Sprintf("At %s %d of %d requests failed (%.3g%%) and the condition allowed it; the rule of three bounds only runs without failures.",
			e.value, e.failures, e.requests, 100*float64(e.failures)/float64(e.requests))
	}
	return fmt.Sprintf("At %s, %d requests and 0 failures in %s: the failure rate per request there is below 3/%d = %.3g%% at 95%% confidence (rule of three). Each run is one trial of the fault: --repeat-per-step repeats it.",
		e.value, e.requests, runsWord(e.runs), e.requests, 300/float64(e.requests))
}
