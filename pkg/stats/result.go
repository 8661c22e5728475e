package stats

// Method names a statistical test in results and reports.
type Method string

// Methods of the tests in this package.
const (
	MethodZ           Method = "two-proportion z-test"
	MethodFisher      Method = "Fisher's exact test"
	MethodMannWhitney Method = "Mann-Whitney U test"
	MethodBootstrap   Method = "bootstrap percentile interval"
)

// Result is the outcome of a two-sample test.
type Result struct {
	// Method is the test that produced the result.
	Method Method `json:"method"`
	// Statistic is the test statistic: z for the z-test and the normal
	// approximation of Mann-Whitney, the probability of the observed table
	// for Fisher's exact test.
	Statistic float64 `json:"statistic"`
	// PValue is the two-sided p-value.
	PValue float64 `json:"pValue"`
}

// Significant reports whether the result rejects "no difference" at the given
// confidence level (0.95 means p < 0.05).
func (r Result) Significant(confidence float64) bool {
	return r.PValue < 1-confidence
}
