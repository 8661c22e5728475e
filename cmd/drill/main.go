// Command drill drives HTTP load through a load balancer into a Kubernetes
// cluster while injecting the events that break traffic, and scores the run.
package main

import (
	"context"
	"os"

	"github.com/drillkit/drill/pkg/redact"
)

//go:generate go test -run TestCLIDocUpToDate -update .

func main() {
	ctx, insist, stop := notifyStop(context.Background(), os.Stderr)
	// Nothing drill prints carries the userinfo of a URL; drill run also
	// leaves out the values of its scenarios' secret headers.
	var red *redact.Redactor
	code := dispatch(ctx, insist, os.Args[1:], red.Writer(os.Stdout), red.Writer(os.Stderr))
	stop()
	os.Exit(code)
}
