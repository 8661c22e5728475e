package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	allowHuge := fs.Bool("allow-huge", false, allowHugeHelp)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill validate [flags] FILE...\n\nChecks scenario files and prints every problem with file:line:column; runs nothing.\n\nflags:")
		fs.PrintDefaults()
	}
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(files) == 0 {
		fs.Usage()
		return report.ExitUsage
	}
	code := report.ExitOK
	for _, f := range files {
		plan, err := run.Prepare(f, scenario.Options{AllowHuge: *allowHuge})
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

// allowHugeHelp describes --allow-huge, shared by run and validate.
const allowHugeHelp = "accept values beyond the bounds on rate, duration, timeouts, requests, workers and connections (drill explain lists them)"

func explainCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill explain [checks|advise]\n\nPrints the scenario format: every field with its type, default and meaning, the bounds\nand the metrics; with checks, only the metrics usable in checks and abortWhen; with\nadvise, the rules of drill advise.")
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	switch {
	case len(pos) == 0:
		if err := scenario.WriteExplain(stdout, inject.Catalog()); err != nil {
			fmt.Fprintln(stderr, err)
			return report.ExitError
		}
		fmt.Fprintln(stdout, "\nMetrics usable in checks and abortWhen: drill explain checks")
		return report.ExitOK
	case len(pos) == 1 && pos[0] == "checks":
		writeCatalog(stdout)
		return report.ExitOK
	case len(pos) == 1 && pos[0] == "advise":
		if err := advise.WriteRules(stdout); err != nil {
			fmt.Fprintln(stderr, err)
			return report.ExitError
		}
		return report.ExitOK
	default:
		fs.Usage()
		return report.ExitUsage
	}
}
