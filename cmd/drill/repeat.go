package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/render"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

// repeatHelp describes drill run --repeat.
var repeatHelp = fmt.Sprintf("run each scenario (each combination of its matrix) N times, 1 to %d, each trial into DIR/trial-N, and pool the trials' requests into DIR/pooled.json; overrides the scenario's repeat", scenario.MaxRepeat)

// repeatSet turns --repeat N into the override --set repeat=N, so that the
// scenario's validator checks it with the rest (the runs of a matrix).
func repeatSet(n int) (scenario.Set, error) {
	if n < 1 || n > scenario.MaxRepeat {
		return scenario.Set{}, fmt.Errorf("--repeat %d: use 1 to %d trials", n, scenario.MaxRepeat)
	}
	return scenario.Set{Path: "repeat", Value: strconv.Itoa(n), Flag: "--repeat " + strconv.Itoa(n)}, nil
}

// runCombination runs one scenario or matrix combination into dir: once,
// or its repeat trials, each into dir/trial-N, then pools them.
func runCombination(ctx context.Context, plan *run.Plan, dir string, opts run.Options, live *liveMetrics, format string, stdout, stderr io.Writer) int {
	n := plan.Scenario.Repeat
	if n <= 1 {
		return runOne(ctx, plan, dir, "", opts, live, format, stdout, stderr)
	}
	var codes []int
	for i := 1; i <= n; i++ {
		trial, err := plan.Trial()
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			codes = append(codes, report.ExitUsage)
			break
		}
		code := runOne(ctx, trial, filepath.Join(dir, report.TrialDir(i)), fmt.Sprintf("trial %d/%d", i, n), opts, live, format, stdout, stderr)
		codes = append(codes, code)
		if ctx.Err() != nil {
			break
		}
		if code == report.ExitUnrecovered {
			fmt.Fprintf(stderr, "drill run: trial %d left something behind (see above); the remaining %d trials are not run\n", i, n-i)
			break
		}
	}
	if c := poolTrials(dir, format, stdout, stderr); c != report.ExitOK {
		codes = append(codes, c)
	}
	return worst(codes)
}

// poolTrials writes dir/pooled.json from the trials' reports in dir and
// prints it; a nonzero return is an error of its own.
func poolTrials(dir, format string, stdout, stderr io.Writer) int {
	trials, dirs, err := report.LoadTrials(dir)
	if err != nil {
		fmt.Fprintf(stderr, "drill run: %v\n", err)
		return report.ExitError
	}
	if len(trials) == 0 {
		return report.ExitOK
	}
	pooled := report.Pool(trials, dirs)
	path := filepath.Join(dir, report.PooledFileName)
	if err := report.Write(path, pooled); err != nil {
		fmt.Fprintf(stderr, "drill run: %v\n", err)
		return report.ExitError
	}
	fmt.Fprintf(stdout, "\nPooled %d trials (%s):\n", len(trials), path)
	if err := render.Report(stdout, pooled, format); err != nil {
		fmt.Fprintf(stderr, "drill run: %v\n", err)
	}
	fmt.Fprintf(stderr, "drill: %s: %d trials pooled, %d requests, worst exit code %d; report %s\n", pooled.Title(), len(trials), pooled.Summary.Requests, pooled.ExitCode, path)
	return report.ExitOK
}
