// Command drill drives HTTP load through a load balancer into a Kubernetes
// cluster while injecting the events that break traffic, and scores the run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/report"
)

// version is set at link time by the Makefile.
var version = "dev"

func main() {
	ctx, insist, stop := notifyStop(context.Background(), os.Stderr)
	// Nothing drill prints carries the userinfo of a URL; drill run also
	// leaves out the values of its scenarios' secret headers.
	var red *redact.Redactor
	code := dispatch(ctx, insist, os.Args[1:], red.Writer(os.Stdout), red.Writer(os.Stderr))
	stop()
	os.Exit(code)
}

const usage = `drill: will this rollout, or this tuning change, drop user traffic?

usage: drill <command> [flags] [args]

commands:
  run FILE...          run scenarios and write a scored report per run
  validate FILE...     check scenario files without running anything
  advise -f PATH...    flag what in Kubernetes manifests would make a rollout drop traffic
  explain              print the scenario schema with defaults
  report RUN           re-render a saved run (-o table|md|json|junit)
  compare A B [...]    compare saved runs with a statistical verdict per metric
  recover RUN          recover the faults a killed run left applied, from its journal
  agent                serve this node's datapath state (the node agent DaemonSet's command)
  flood                send conntrack-filling traffic (the conntrackFlood workload)
  conntrack-flush      delete conntrack entries by port and destination (the conntrackFlush workload)
  echo                 serve HTTP naming the backend in a header (the lab workload)
  lab up|status|kubeconfig|down
                       manage the embedded lab cluster
  version              print drill's version

exit codes: 0 passed, 1 runtime error, 2 invalid scenario or usage,
3 checks failed, 4 aborted by abortWhen, 5 something the run changed is left
(a fault for drill recover, or setup objects).
"drill help <command>" (or "drill <command> -h") shows a command's flags.
`

// dispatch runs the command args name; insist is closed when the user
// insists on stopping (notifyStop).
func dispatch(ctx context.Context, insist <-chan struct{}, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return report.ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "--help":
		if name != "help" || len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return report.ExitOK
		}
		// drill help CMD is drill CMD -h, on stdout since it was asked for.
		name, rest = rest[0], []string{"-h"}
		if _, ok := command(name, nil); ok {
			stderr = stdout
		}
	}
	run, ok := command(name, insist)
	if !ok {
		fmt.Fprintf(stderr, "drill: unknown command %q; run drill help to list the commands\n", name)
		return report.ExitUsage
	}
	return run(ctx, rest, stdout, stderr)
}

// command returns the subcommand called name.
func command(name string, insist <-chan struct{}) (func(ctx context.Context, args []string, stdout, stderr io.Writer) int, bool) {
	switch name {
	case "version", "--version":
		return func(_ context.Context, _ []string, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, "drill", version)
			return report.ExitOK
		}, true
	case "run":
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runCmd(ctx, insist, args, stdout, stderr)
		}, true
	case "validate":
		return func(_ context.Context, args []string, stdout, stderr io.Writer) int {
			return validateCmd(args, stdout, stderr)
		}, true
	case "explain":
		return func(_ context.Context, args []string, stdout, stderr io.Writer) int {
			return explainCmd(args, stdout, stderr)
		}, true
	case "report":
		return func(_ context.Context, args []string, stdout, stderr io.Writer) int {
			return reportCmd(args, stdout, stderr)
		}, true
	case "compare":
		return func(_ context.Context, args []string, stdout, stderr io.Writer) int {
			return compareCmd(args, stdout, stderr)
		}, true
	case "recover":
		return recoverCmd, true
	case "advise":
		return adviseCmd, true
	case "lab":
		return func(ctx context.Context, args []string, _, _ io.Writer) int { return labCmd(ctx, args) }, true
	case "agent":
		return agentCmd, true
	case "flood":
		return floodCmd, true
	case "conntrack-flush":
		return conntrackFlushCmd, true
	case "echo":
		return echoCmd, true
	}
	return nil, false
}

// parseArgs parses flags placed anywhere among the positional arguments
// (drill run a.yaml -o md) and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// exitUsage maps a flag parsing error to an exit code: -h is not an error.
func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
