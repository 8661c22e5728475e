package run

import (
	"fmt"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// values are the metrics checks see: the load's summary, and what the
// samplers measured.
type values struct {
	summary metric.Summary
	sampled check.Map
}

// Value implements check.Values.
func (v values) Value(name string) (float64, bool) {
	if x, ok := v.sampled[name]; ok {
		return x, true
	}
	return v.summary.Value(name)
}

// evaluate judges every check against the run's values.
func evaluate(exprs []check.Expr, s check.Values) []report.CheckResult {
	out := make([]report.CheckResult, 0, len(exprs))
	for _, e := range exprs {
		pass, actual, ok := e.Eval(s)
		c := report.CheckResult{
			Expr: e.Source, Metric: e.Metric, Op: e.Op, Threshold: e.FormatValue(e.Threshold),
			ActualValue: actual, Passed: pass && ok, NoData: !ok,
		}
		if ok {
			c.Actual = e.FormatValue(actual)
		} else {
			c.Message = "no data: the run produced no value for " + e.Metric
		}
		out = append(out, c)
	}
	return out
}

// Rejudge evaluates r's checks again against its summary (after the summary
// was recomputed from raw results) and judges the run again with the outcome
// it was judged with (report.OutcomeOf).
func Rejudge(r *report.Report) error {
	exprs := make([]check.Expr, 0, len(r.Checks))
	for _, c := range r.Checks {
		e, err := check.Parse(c.Expr)
		if err != nil {
			return fmt.Errorf("check %q: %w", c.Expr, err)
		}
		exprs = append(exprs, e)
	}
	r.Checks = evaluate(exprs, values{r.Summary.Metric(), r.Sampled})
	report.Judge(r, report.OutcomeOf(r))
	return nil
}
