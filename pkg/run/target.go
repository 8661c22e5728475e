package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/report"
)

// checkTargets resolves every host the load goes to and asks the guard
// about each address. A forbidden address is a usage error (the scenario or
// the flags must change, exit 2); a name that does not resolve is a runtime
// error like a target that does not answer (exit 1).
func checkTargets(ctx context.Context, cfg load.Config) error {
	err := load.CheckTargets(ctx, cfg)
	if err == nil {
		return nil
	}
	var na *load.NotAllowedError
	if errors.As(err, &na) {
		return &Error{Code: report.ExitUsage, Err: err}
	}
	return &Error{Code: report.ExitError, Err: fmt.Errorf("%w; check the host name and this machine's DNS", err)}
}

// hostInfo describes the machine that ran the load.
func hostInfo() report.Host {
	h := report.Host{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	h.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	return h
}
