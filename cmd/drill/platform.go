package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// platformError is a command this system cannot run: exit 1, in one line.
type platformError struct{ err error }

func (e platformError) Error() string { return e.err.Error() }

// linuxOnly makes cmd and every command under it refuse, before doing
// anything, to run on a system other than Linux: the lab, the node agent
// and the floods are made of Linux's network namespaces, netfilter and
// cgroups. Help still works everywhere.
func (a *app) linuxOnly(cmd *cobra.Command) *cobra.Command {
	cmd.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if err := needsLinux(a.goos); err != nil {
			return platformError{fmt.Errorf("%s: %w", c.CommandPath(), err)}
		}
		return nil
	}
	return cmd
}

// needsLinux says why goos cannot run drill's Linux commands, and what to
// do instead.
func needsLinux(goos string) error {
	if goos == "linux" {
		return nil
	}
	if goos == "" {
		goos = "an unknown system"
	}
	return errors.New("needs Linux (network namespaces, netfilter, cgroups), and this is " + goos +
		": run scenarios against a cluster (target.kube, target.url) from here, or the lab inside a Linux VM")
}
