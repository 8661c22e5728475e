package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
)

func recoverCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 5*time.Minute, "how long recovering may take, all faults together; what is not recovered by then stays in the journal (exit 5)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill recover [flags] RUN|JOURNAL\n\nRecovers every fault a run applied and did not recover (after drill was killed,\nor its recovery was cut short), from the journal.json in the run's directory.\n\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if len(pos) != 1 || *timeout <= 0 {
		fs.Usage()
		return report.ExitUsage
	}
	ctx, cancel := context.WithTimeoutCause(ctx, *timeout, fmt.Errorf("--timeout (%s) ran out", *timeout))
	defer cancel()
	args = pos
	j, err := inject.LoadJournal(args[0])
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
	cl, err := cluster.FromKubeconfig(j.Kubeconfig, j.Context)
	if err != nil {
		fmt.Fprintf(stderr, "drill recover: %v\n", err)
		return report.ExitUnrecovered
	}
	env := &inject.Env{Cluster: cl, Namespace: j.Namespace, Note: func(_, msg string) { fmt.Fprintln(stdout, "  "+msg) }}
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
