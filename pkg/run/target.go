package run

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

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

// reachable opens one connection to every host the load goes to, so that a
// target that is down fails the run before it starts, with advice.
func reachable(ctx context.Context, cfg load.Config) error {
	seen := map[string]bool{}
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		return cfg.Allow(ap.Addr())
	}}
	for _, r := range cfg.Requests {
		u, err := url.Parse(r.URL)
		if err != nil {
			return fmt.Errorf("request URL %q: %w", r.URL, err)
		}
		port := u.Port()
		if port == "" {
			port = "80"
			if u.Scheme == "https" {
				port = "443"
			}
		}
		addr := net.JoinHostPort(u.Hostname(), port)
		if seen[addr] {
			continue
		}
		seen[addr] = true
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			hint := "is the service running and listening there?"
			if errors.Is(err, syscall.ECONNREFUSED) && isLocal(u.Hostname()) {
				hint += " (drill echo serves one on 127.0.0.1:18080)"
			}
			return fmt.Errorf("cannot reach %s: %w; %s", addr, err, hint)
		}
		c.Close()
	}
	return nil
}

func isLocal(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
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
