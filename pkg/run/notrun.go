package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/scenario"
)

// newReport is the part of a run's report known before the load starts.
func newReport(sc *scenario.Scenario, opts Options, target report.Target) *report.Report {
	target.URL = redact.URL(target.URL)
	return &report.Report{
		Redactor:       redactorOf(sc),
		Schema:         report.Schema,
		DrillVersion:   opts.Version,
		Scenario:       report.ScenarioInfo{Name: sc.Metadata.Name, Description: sc.Metadata.Description, File: sc.File},
		Variant:        sc.Variant,
		Target:         target,
		BaselineChecks: sc.BaselineChecks(),
		Environment:    report.Environment{Host: hostInfo()},
	}
}

// notRun is the report of a run that failed before its load started
// (target unreachable, setup failed, destination refused): status error,
// the reason, the exit code of err, and every check listed as not
// evaluated, so that a CI gate reading the report sees each one fail.
func notRun(plan *Plan, opts Options, err error) *report.Report {
	sc := plan.Scenario
	r := newReport(sc, opts, report.Target{Kind: report.TargetKind(sc.Target.Kind()), URL: knownURL(sc)})
	now := time.Now()
	r.StartedAt, r.EndedAt = now, now
	for _, e := range sc.Exprs() {
		r.Checks = append(r.Checks, report.CheckResult{Expr: e.Source, Metric: e.Metric, Op: e.Op, Threshold: e.FormatValue(e.Threshold),
			NoData: true, Message: "not evaluated: the run did not start"})
	}
	o := report.Outcome{Failure: "the run did not start: " + err.Error(), Planned: sc.TotalDuration(), RequireChecks: opts.RequireChecks}
	var re *Error
	if errors.As(err, &re) {
		o.FailureCode = re.Code
	}
	report.Judge(r, o)
	return r
}

// makeDir creates a run directory.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create run directory: %w", err)
	}
	return nil
}

// writeReport writes r as the report of the run in dir, creating dir.
func writeReport(dir string, r *report.Report) error {
	if err := makeDir(dir); err != nil {
		return err
	}
	return report.Write(filepath.Join(dir, report.FileName), r)
}
