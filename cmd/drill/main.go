// Command drill drives HTTP load through a load balancer into a Kubernetes
// cluster while injecting the events that break traffic, and scores the run.
package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/drillkit/drill/pkg/cni/vpccni"
	"github.com/drillkit/drill/pkg/redact"
)

//go:generate go test -run TestCLIDocUpToDate -update .

func main() {
	// Run as drill-vpc-cni (a link to drill in a CNI bin directory), drill
	// is that CNI plugin and speaks only the CNI protocol.
	if filepath.Base(os.Args[0]) == vpccni.PluginName {
		os.Exit(vpccni.Main(context.Background(), "CNI plugin "+vpccni.PluginName+" (drill "+buildVersion().Short()+")"))
	}
	ctx, insist, stop := notifyStop(context.Background(), os.Stderr)
	// Nothing drill prints carries the userinfo of a URL; drill run also
	// leaves out the values of its scenarios' secret headers.
	var red *redact.Redactor
	code := dispatch(ctx, insist, os.Args[1:], red.Writer(os.Stdout), red.Writer(os.Stderr))
	stop()
	os.Exit(code)
}
