package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
)

func newRecoverCmd(a *app) *cobra.Command {
	var timeout time.Duration
	var sel cluster.Selection
	cmd := &cobra.Command{
		Use:   "recover [flags] RUN|JOURNAL",
		Short: "Recover the faults a killed run left applied, from its journal",
		Long: `Recovers every fault a run applied and did not recover (after drill was killed,
or its recovery was cut short), from the journal.json in the run's directory.`,
		RunE: a.body(func(cmd *cobra.Command, pos []string) int {
			if len(pos) != 1 {
				return a.usage(cmd, "name one run directory or journal.json")
			}
			if timeout <= 0 {
				return a.usage(cmd, "--timeout %s: give a positive duration", timeout)
			}
			if err := checkSelection(sel); err != nil {
				return a.usage(cmd, "%v", err)
			}
			return recoverRun(cmd.Context(), pos[0], timeout, sel, a.stdout, a.stderr)
		}),
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long recovering may take, all faults together; what is not recovered by then stays in the journal (exit 5)")
	bindClusterFlags(cmd.Flags(), &sel, "; overrides the journal's ")
	_ = cmd.MarkFlagFilename("kubeconfig")
	return cmd
}

func recoverRun(ctx context.Context, path string, timeout time.Duration, override cluster.Selection, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("--timeout (%s) ran out", timeout))
	defer cancel()
	j, err := inject.LoadJournal(path)
	if err != nil {
		fmt.Fprintf(stderr, "drill recover: %v\n", err)
		return report.ExitError
	}
	idx, faults, err := j.Pending()
	if err != nil {
		fmt.Fprintf(stderr, "drill recover: %v\n", err)
		return report.ExitError
	}
	if len(faults) == 0 {
		fmt.Fprintf(stdout, "drill recover: nothing to recover in %s\n", j.Path())
		return report.ExitOK
	}
	sel := cluster.Selection{Kubeconfig: j.Kubeconfig, Context: j.Context, Namespace: j.Namespace}.Override(override)
	cl, err := cluster.Open(sel)
	if err != nil {
		fmt.Fprintf(stderr, "drill recover: %v\n", err)
		return report.ExitUnrecovered
	}
	env := &inject.Env{Cluster: cl, Namespace: sel.Namespace, Note: func(_, msg string) { fmt.Fprintln(stdout, "  "+msg) }}
	if api := j.LoadBalancerAPI; api != nil && api.Lab {
		env.LabELBEnded = true
	} else if api != nil {
		if env.ELB, err = elbv2.New(ctx, api.Options); err != nil {
			fmt.Fprintf(stderr, "drill recover: %v\n", err)
			return report.ExitUnrecovered
		}
	}
	code := report.ExitOK
	for i, f := range faults {
		err := f.Recover(ctx, env)
		phase := inject.PhaseRecovered
		if err != nil {
			phase, code = inject.PhaseFailed, report.ExitUnrecovered
			fmt.Fprintf(stderr, "drill recover: %s: %v; undo it by hand (see docs/faults.md)\n", f.Name(), err)
		} else {
			fmt.Fprintf(stdout, "recovered %s\n", f.Name())
		}
		if _, jerr := j.Record(idx[i], f, phase, err); jerr != nil {
			fmt.Fprintf(stderr, "drill recover: %v\n", jerr)
			code = report.ExitUnrecovered
		}
	}
	return code
}
