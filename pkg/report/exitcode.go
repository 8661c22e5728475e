package report

// Process exit codes of drill, stable so CI can tell outcomes apart.
const (
	// ExitOK: the run completed and every check passed (or it had no checks
	// and was not asked to require them; see Judge).
	ExitOK = 0
	// ExitError: the run could not be carried out (setup failed, target
	// unreachable, results could not be written, interrupted).
	ExitError = 1
	// ExitUsage: bad command line or invalid scenario; nothing was run.
	ExitUsage = 2
	// ExitChecksFailed: the run completed and at least one check failed, or
	// it had no checks and was asked to require them.
	ExitChecksFailed = 3
	// ExitAborted: an abortWhen condition stopped the run early.
	ExitAborted = 4
	// ExitUnrecovered: something the run changed is left: a fault that
	// could not be recovered (drill recover RUN finishes it from the
	// journal) or setup objects not deleted (a finalizer held them past
	// timeouts.delete), also when a second SIGINT or SIGTERM cut the
	// cleanup short. The message names what is left and how to undo it.
	ExitUnrecovered = 5
	// ExitRegression: drill compare --fail-on-regression found a metric
	// significantly worse than the baseline. It shares its value with
	// ExitChecksFailed: in both cases a gate failed.
	ExitRegression = ExitChecksFailed
)

// exitRank orders exit codes by severity: a fault left behind beats a
// runtime error, which beats a usage error, an abort, then failed checks.
var exitRank = map[int]int{ExitOK: 0, ExitChecksFailed: 1, ExitAborted: 2, ExitUsage: 3, ExitError: 4, ExitUnrecovered: 5}

// WorstExit folds the exit codes of several runs into the most severe one
// (ExitOK for none).
func WorstExit(codes ...int) int {
	w := ExitOK
	for _, c := range codes {
		if exitRank[c] > exitRank[w] {
			w = c
		}
	}
	return w
}
