package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/report"
)

// app is what every command of one invocation shares: the writers, the
// channel closed when the user insists on stopping (notifyStop) and the
// exit code the command chose.
type app struct {
	insist         <-chan struct{}
	stdout, stderr io.Writer
	// goos is the system drill runs on (runtime.GOOS).
	goos string
	code int
}

// usageError is a command line drill cannot act on: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// dispatch runs the command args name and returns its exit code; insist is
// closed when the user insists on stopping (notifyStop).
func dispatch(ctx context.Context, insist <-chan struct{}, args []string, stdout, stderr io.Writer) int {
	return (&app{insist: insist, stdout: stdout, stderr: stderr, goos: runtime.GOOS}).dispatch(ctx, args)
}

// dispatch runs the command args name and returns its exit code.
func (a *app) dispatch(ctx context.Context, args []string) int {
	stderr := a.stderr
	root := newRoot(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var pe platformError
	if errors.As(err, &pe) {
		fmt.Fprintln(stderr, pe)
		return report.ExitError
	}
	if err != nil {
		// Flags, arguments and command names cobra could not take.
		if cmd.Name() == "help" {
			cmd = root
		}
		fmt.Fprintf(stderr, "%s: %v\nSee '%s --help'.\n", cmd.CommandPath(), err, cmd.CommandPath())
		return report.ExitUsage
	}
	return a.code
}

const rootLong = `drill: will this rollout, or this tuning change, drop user traffic?

drill drives HTTP load through the load balancer into a Kubernetes cluster (a real one, or its
embedded lab) while it injects the events that really break traffic, and writes a scored report.

Exit codes: 0 passed, 1 runtime error, 2 invalid scenario or usage, 3 checks failed,
4 aborted by abortWhen, 5 something the run changed is left (a fault for drill recover,
or setup objects).`

// newRoot builds drill's command tree around a.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "drill",
		Short:         "Will this rollout, or this tuning change, drop user traffic?",
		Long:          rootLong,
		Version:       buildVersion().Short(),
		SilenceErrors: true,
		SilenceUsage:  true,
		// drill alone lists the commands on stderr and exits 2.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			_ = cmd.Usage()
			a.code = report.ExitUsage
			return nil
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("drill {{.Version}}\n")
	root.Flags().Bool("version", false, "print drill's version (drill version says more)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newRunCmd(a), newValidateCmd(a), newAdviseCmd(a), newExplainCmd(a),
		newTuneCmd(a),
		newReportCmd(a), newCompareCmd(a), newRecoverCmd(a), newAttackCmd(a),
		a.linuxOnly(newAgentCmd(a)), a.linuxOnly(newFloodCmd(a)), a.linuxOnly(newConntrackFlushCmd(a)), newEchoCmd(a),
		a.linuxOnly(newLabCmd(a)), newVersionCmd(a),
	)
	root.SetHelpCommand(newHelpCmd(root))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// newHelpCmd is `drill help [command]`: the command's help on stdout, or
// exit 2 for a command drill does not have.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help shows the usage, flags and examples of any command: drill help lab up.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err == nil && len(rest) > 0 {
				err = fmt.Errorf("unknown command %q for %q", rest[0], cmd.CommandPath())
			}
			if err != nil {
				return usageError{err}
			}
			return cmd.Help()
		},
	}
}

// group makes cmd a group of subcommands: alone it lists them on stderr
// and exits 2, and an unknown subcommand is a usage error.
func group(a *app, cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())}
		}
		c.SetOut(a.stderr)
		_ = c.Usage()
		a.code = report.ExitUsage
		return nil
	}
	return cmd
}

// body adapts a command's body, which returns drill's exit code, to cobra.
func (a *app) body(f func(cmd *cobra.Command, args []string) int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.code = f(cmd, args)
		return nil
	}
}

// usage prints why cmd's arguments cannot be used and returns ExitUsage.
func (a *app) usage(cmd *cobra.Command, format string, args ...any) int {
	fmt.Fprintf(a.stderr, "%s: %s\nSee '%s --help'.\n", cmd.CommandPath(), fmt.Sprintf(format, args...), cmd.CommandPath())
	return report.ExitUsage
}

// completeWords completes a flag or argument from a fixed list.
func completeWords(words ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp)
}

// completeFiles completes file names with one of the extensions.
func completeFiles(exts ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}
