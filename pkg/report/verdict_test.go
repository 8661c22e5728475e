package report_test

import (
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

func TestJudge(t *testing.T) {
	passing := report.CheckResult{Expr: "p99 < 500ms", Metric: "p99", Op: "<", Threshold: "500ms", Passed: true}
	failing := report.CheckResult{Expr: "status_5xx == 0", Metric: "status_5xx", Op: "==", Threshold: "0"}
	noData := report.CheckResult{Expr: "conntrack_drops == 0", Metric: "conntrack_drops", Op: "==", Threshold: "0", NoData: true}
	abort := &report.AbortResult{Expr: "error_rate > 20% for 5s", AtT: 9}
	tests := []struct {
		name    string
		checks  []report.CheckResult
		o       report.Outcome
		want    report.Status
		code    int
		partial bool
	}{
		{"all pass", []report.CheckResult{passing}, report.Outcome{}, report.StatusPassed, report.ExitOK, false},
		{"no data fails", []report.CheckResult{passing, noData}, report.Outcome{}, report.StatusFailed, report.ExitChecksFailed, false},
		{"no checks", nil, report.Outcome{}, report.StatusUnjudged, report.ExitOK, false},
		{"no checks, required", nil, report.Outcome{RequireChecks: true}, report.StatusUnjudged, report.ExitChecksFailed, false},
		{"a check fails", []report.CheckResult{passing, failing}, report.Outcome{}, report.StatusFailed, report.ExitChecksFailed, false},
		{"aborted", []report.CheckResult{passing, failing}, report.Outcome{Abort: abort}, report.StatusAborted, report.ExitAborted, true},
		{"interrupted", []report.CheckResult{passing}, report.Outcome{Failure: "interrupted"}, report.StatusError, report.ExitError, true},
		{"refused before the load", nil, report.Outcome{Failure: "the run did not start: refused", FailureCode: report.ExitUsage}, report.StatusError, report.ExitUsage, true},
		{"unrecovered", []report.CheckResult{passing}, report.Outcome{Unrecovered: "recover scale web: timeout"}, report.StatusError, report.ExitUnrecovered, false},
		{"interrupted and unrecovered", nil, report.Outcome{Failure: "interrupted", Unrecovered: "recover scale web: timeout"}, report.StatusError, report.ExitUnrecovered, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reporttest.Failed()
			r.Summary = reporttest.Summary(0, 0, 0, 1) // every request succeeded
			r.EndedAt = r.StartedAt.Add(15 * time.Second)
			r.Checks = tt.checks
			r.Events = []report.Event{{T: 5 * time.Second, Message: "b"}, {T: time.Second, Message: "a"}}
			tt.o.Planned = time.Minute
			report.Judge(r, tt.o)
			if r.Status != tt.want || r.ExitCode != tt.code {
				t.Errorf("status %q exit %d, want %q %d", r.Status, r.ExitCode, tt.want, tt.code)
			}
			if r.Score.Partial != tt.partial {
				t.Errorf("score partial = %v, want %v (%+v)", r.Score.Partial, tt.partial, r.Score)
			}
			if tt.partial && (r.Score.Coverage != 0.25 || r.Score.Total > 25) {
				t.Errorf("partial score %+v: want coverage 0.25 (15s of 1m) and at most 25 points", r.Score)
			}
			if complete := tt.o.Failure == "" && tt.o.Abort == nil; r.Score.Total >= 100 && !(complete && len(tt.checks) > 0) {
				t.Errorf("score %.1f: only a complete run with checks can score 100", r.Score.Total)
			}
			if r.Schema != report.Schema || r.Events[0].Message != "a" {
				t.Errorf("schema %q, events %+v: want the schema set and events sorted", r.Schema, r.Events)
			}
			// Judged again from what the report says, it comes to the same.
			before := *r
			report.Judge(r, report.OutcomeOf(r))
			if r.Status != before.Status || r.ExitCode != before.ExitCode || r.Score.Total != before.Score.Total ||
				r.IncompleteReason != before.IncompleteReason || r.Incomplete != before.Incomplete {
				t.Errorf("re-judged: %q %d %.1f %q, first %q %d %.1f %q", r.Status, r.ExitCode, r.Score.Total, r.IncompleteReason,
					before.Status, before.ExitCode, before.Score.Total, before.IncompleteReason)
			}
		})
	}
}
