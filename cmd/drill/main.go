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
	"os/signal"
	"syscall"
)

// version is set at link time by the Makefile.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `drill: will this rollout, or this tuning change, drop user traffic?

usage: drill <command> [flags] [args]

commands:
  run FILE...          run scenarios and write a scored report per run
  validate FILE...     check scenario files without running anything
  explain              print the scenario schema with defaults
  report RUN           re-render a saved run (-o table|md|json|junit)
  compare A B [...]    compare saved runs with a statistical verdict per metric
  recover RUN          recover the faults a killed run left applied, from its journal
  agent                serve this node's datapath state (the node agent DaemonSet's command)
  flood                send conntrack-filling traffic (the conntrackFlood workload)
  echo                 serve HTTP naming the backend in a header (the lab workload)
  lab up|status|kubeconfig|down
                       manage the embedded lab cluster
  version              print drill's version

exit codes: 0 passed, 1 runtime error, 2 invalid scenario or usage,
3 checks failed, 4 aborted by abortWhen, 5 a fault could not be recovered.
"drill <command> -h" shows a command's flags.
`

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "--version":
		fmt.Fprintln(stdout, "drill", version)
		return 0
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "validate":
		return validateCmd(rest, stdout, stderr)
	case "explain":
		return explainCmd(rest, stdout, stderr)
	case "report":
		return reportCmd(rest, stdout, stderr)
	case "compare":
		return compareCmd(rest, stdout, stderr)
	case "recover":
		return recoverCmd(ctx, rest, stdout, stderr)
	case "lab":
		return labCmd(ctx, rest)
	case "agent":
		return agentCmd(ctx, rest, stdout, stderr)
	case "flood":
		return floodCmd(ctx, rest, stdout, stderr)
	case "echo":
		return echoCmd(ctx, rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "drill: unknown command %q; run drill help to list the commands\n", cmd)
		return 2
	}
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
