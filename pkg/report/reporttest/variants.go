package reporttest

import (
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// Aborted is Failed stopped by an abortWhen condition after 36 of its 60
// seconds.
func Aborted() *report.Report {
	r := Failed()
	r.EndedAt = r.StartedAt.Add(36 * time.Second)
	report.Judge(r, report.Outcome{Planned: time.Minute,
		Abort: &report.AbortResult{Expr: "error_rate > 20% for 5s", AtT: 36, Message: "error_rate was 30.000% from t=31s"}})
	return r
}

// Passed is the run without errors and with its one passing check.
func Passed() *report.Report {
	r := Failed()
	r.Summary = Summary(0, 0, 0, 1)
	r.Checks = r.Checks[1:2]
	r.Events = nil
	r.Causes = nil
	report.Judge(r, report.Outcome{Planned: time.Minute})
	return r
}

// Unjudged is the run without errors and without checks.
func Unjudged() *report.Report {
	r := Failed()
	r.Summary = Summary(0, 0, 0, 1)
	r.Checks = nil
	r.Events = nil
	r.Causes = nil
	report.Judge(r, report.Outcome{Planned: time.Minute})
	return r
}

// Named are the fixture runs every rendering has a golden file of.
func Named() map[string]*report.Report {
	return map[string]*report.Report{"failed": Failed(), "aborted": Aborted(), "passed": Passed(), "unjudged": Unjudged()}
}

// Variant is Failed with its own variant, error burst (fail requests a
// second in [burstFrom, burstTo)) and latency (scaled by slow); without
// failures its checks pass.
func Variant(variant string, burstFrom, burstTo int, fail uint64, slow float64) *report.Report {
	r := Failed()
	r.Variant = variant
	r.Summary = Summary(burstFrom, burstTo, fail, slow)
	if fail == 0 {
		r.Status, r.ExitCode = report.StatusPassed, report.ExitOK
		r.Checks = []report.CheckResult{
			{Expr: "success_rate >= 99.9%", Metric: "success_rate", Op: ">=", Threshold: "99.9%", Actual: "100%", ActualValue: 1, Passed: true},
			{Expr: "p99 < 500ms", Metric: "p99", Op: "<", Threshold: "500ms", Actual: human.Duration(r.Summary.Latency.P99), ActualValue: r.Summary.Latency.P99.Seconds(), Passed: true},
			{Expr: "status_5xx == 0", Metric: "status_5xx", Op: "==", Threshold: "0", Actual: "0", Passed: true},
		}
	}
	r.Score = report.ScoreRun(r.Summary, r.Checks)
	return r
}
