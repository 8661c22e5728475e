package report

// Process exit codes of drill, stable so CI can tell outcomes apart.
const (
	// ExitOK: the run completed and every check passed.
	ExitOK = 0
	// ExitChecksFailed: the run completed and at least one check failed.
	ExitChecksFailed = 1
	// ExitUsage: bad command line or invalid scenario; nothing was run.
	ExitUsage = 2
	// ExitAborted: an abortWhen condition stopped the run early.
	ExitAborted = 3
	// ExitError: the run could not be carried out (setup failed, target
	// unreachable, interrupted).
	ExitError = 4
	// ExitRegression: drill compare --fail-on-regression found a metric
	// significantly worse than the baseline.
	ExitRegression = 5
)

// ExitCodeFor returns the exit code of a run that ended with status s.
func ExitCodeFor(s Status) int {
	switch s {
	case StatusPassed:
		return ExitOK
	case StatusFailed:
		return ExitChecksFailed
	case StatusAborted:
		return ExitAborted
	default:
		return ExitError
	}
}
