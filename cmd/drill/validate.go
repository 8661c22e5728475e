package main

import (
	"fmt"
	"io"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

func validateCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: drill validate FILE...\n\nChecks scenario files and prints every problem with file:line:column; runs nothing.")
		if len(args) == 0 {
			return report.ExitUsage
		}
		return report.ExitOK
	}
	code := report.ExitOK
	for _, f := range args {
		plan, err := run.Prepare(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = report.ExitUsage
			continue
		}
		sc := plan.Scenario
		fmt.Fprintf(stdout, "%s: ok (%s, target %s, %s of load, %d faults, %d checks)\n", f, sc.Metadata.Name, sc.Target.Kind(), sc.TotalDuration(), len(plan.Faults), len(sc.Checks))
	}
	return code
}

func explainCmd(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		if err := scenario.WriteExplain(stdout); err != nil {
			fmt.Fprintln(stderr, err)
			return report.ExitError
		}
		fmt.Fprintln(stdout, "\nMetrics usable in checks and abortWhen: drill explain checks")
		return report.ExitOK
	case len(args) == 1 && args[0] == "checks":
		writeCatalog(stdout)
		return report.ExitOK
	default:
		fmt.Fprintln(stderr, "usage: drill explain [checks]")
		return report.ExitUsage
	}
}
