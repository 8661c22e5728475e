// Command drill drives HTTP load through a load balancer into a Kubernetes
// cluster while injecting the events that break traffic, and scores the run.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time by the Makefile.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: drill <command> [flags]; drill help lists the commands")
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Println("drill", version)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "drill: unknown command %q; drill help lists the commands\n", args[0])
		return 2
	}
}
