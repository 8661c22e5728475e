package compare

import (
	"fmt"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/report"
)

// runValues are the metrics of a saved run, as checks see them: its load
// summary and what its samplers measured.
type runValues struct{ r *report.Report }

// Value implements check.Values.
func (v runValues) Value(name string) (float64, bool) {
	if x, ok := v.r.Sampled[name]; ok {
		return x, true
	}
	return v.r.Summary.Value(name)
}

// baselineChecks judges the candidate's checks relative to the baseline
// ("p99 <= +10%": at most 1.1 times the baseline's p99); a candidate whose
// report has none takes the baseline's.
func baselineChecks(base, cand *report.Report) []report.CheckResult {
	srcs := cand.BaselineChecks
	if len(srcs) == 0 {
		srcs = base.BaselineChecks
	}
	var out []report.CheckResult
	for _, src := range srcs {
		e, err := check.Parse(src)
		if err != nil {
			out = append(out, report.CheckResult{Expr: src, NoData: true, Message: "not evaluated: " + err.Error()})
			continue
		}
		c := report.CheckResult{Expr: e.Source, Metric: e.Metric, Op: e.Op, Threshold: e.FormatThreshold()}
		pass, actual, threshold, ok := e.EvalRelative(runValues{cand}, runValues{base})
		c.ActualValue, c.Passed, c.NoData = actual, pass && ok, !ok
		if !ok {
			c.Message = "no data: the candidate or the baseline has no value for " + e.Metric
			out = append(out, c)
			continue
		}
		b, _ := runValues{base}.Value(e.Metric)
		c.Actual = e.FormatValue(actual)
		c.Message = fmt.Sprintf("baseline %s, so %s %s", e.FormatValue(b), e.Op, e.FormatValue(threshold))
		out = append(out, c)
	}
	return out
}
