package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

func newValidateCmd(a *app) *cobra.Command {
	var allowHuge bool
	var setFlags []string
	cmd := &cobra.Command{
		Use:               "validate [flags] FILE...",
		Short:             "Check scenario files without running anything",
		Long:              "Checks scenario files and prints every problem with file:line:column; runs nothing.",
		Example:           "  drill validate scenarios/*.yaml",
		ValidArgsFunction: completeFiles("yaml", "yml"),
		RunE: a.body(func(cmd *cobra.Command, files []string) int {
			if len(files) == 0 {
				return a.usage(cmd, "name at least one scenario file")
			}
			sets, err := parseSets(setFlags)
			if err != nil {
				return a.usage(cmd, "%v", err)
			}
			return validateFiles(files, scenario.Options{AllowHuge: allowHuge, Set: sets}, a.stdout, a.stderr)
		}),
	}
	cmd.Flags().BoolVar(&allowHuge, "allow-huge", false, allowHugeHelp)
	cmd.Flags().StringArrayVar(&setFlags, "set", nil, setHelp)
	return cmd
}

func validateFiles(files []string, opts scenario.Options, stdout, stderr io.Writer) int {
	code := report.ExitOK
	for _, f := range files {
		plan, err := run.Prepare(f, opts)
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

func newExplainCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "explain [checks|advise]",
		Short: "Print the scenario schema with types, defaults and bounds",
		Long: `Prints the scenario format: every field with its type, default and meaning, the bounds
and the metrics; with checks, only the metrics usable in checks and abortWhen; with
advise, the rules of drill advise.`,
		ValidArgs: []cobra.Completion{"checks", "advise"},
		RunE: a.body(func(cmd *cobra.Command, pos []string) int {
			stdout, stderr := a.stdout, a.stderr
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
				return a.usage(cmd, "explain takes nothing, checks or advise, not %q", strings.Join(pos, " "))
			}
		}),
	}
}
