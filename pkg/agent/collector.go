package agent

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Part names, as the ?parts= query and scenario sample.nodes spell them.
const (
	PartConntrack = "conntrack"
	PartIPTables  = "iptables"
	PartNFTables  = "nftables"
	PartIPVS      = "ipvs"
	PartKubeProxy = "kubeproxy"
	// PartConntrackStates counts the conntrack entries by TCP state: it
	// reads every entry, so it is collected only when asked for by name.
	PartConntrackStates = "conntrackStates"
)

// AllParts lists every part the agent can collect.
func AllParts() []string {
	return []string{PartConntrack, PartConntrackStates, PartIPTables, PartNFTables, PartIPVS, PartKubeProxy}
}

// notRequested marks a part left out of a collection.
const notRequested = "not requested"

// Config configures a Collector.
type Config struct {
	// Node names the node in every State (default: $NODE_NAME, else the
	// host name).
	Node string
	// KubeProxyMetrics is the base URL of kube-proxy's metrics server
	// (default DefaultKubeProxyMetrics); "off" skips it.
	KubeProxyMetrics string
	// ProcRoot is where procfs is mounted (default /proc).
	ProcRoot string
	// Timeout bounds one collection (default 10s).
	Timeout time.Duration
}

// Collector collects the State of the node (the network namespace) it runs
// in.
type Collector struct {
	cfg Config
	hc  *http.Client
	run runFunc
}

// New returns a Collector for cfg, with defaults filled in.
func New(cfg Config) *Collector {
	if cfg.Node == "" {
		cfg.Node = os.Getenv("NODE_NAME")
	}
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	if cfg.KubeProxyMetrics == "" {
		cfg.KubeProxyMetrics = DefaultKubeProxyMetrics
	}
	cfg.KubeProxyMetrics = strings.TrimRight(cfg.KubeProxyMetrics, "/")
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = "/proc"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Collector{cfg: cfg, hc: &http.Client{Timeout: 2 * time.Second}, run: runCommand}
}

// Collect reads the requested parts (all when parts is empty) concurrently.
// Parts that cannot be read say why in their Reason; Collect itself does
// not fail.
func (c *Collector) Collect(ctx context.Context, parts ...string) State {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	want := func(p string) bool { return len(parts) == 0 || slices.Contains(parts, p) }
	st := State{Node: c.cfg.Node, Time: time.Now().UTC()}
	st.Conntrack.Reason, st.IPTables.Reason, st.NFTables.Reason, st.IPVS.Reason, st.KubeProxy.Reason =
		notRequested, notRequested, notRequested, notRequested, notRequested
	var wg sync.WaitGroup
	do := func(p string, fn func()) {
		if want(p) {
			wg.Go(fn)
		}
	}
	states := slices.Contains(parts, PartConntrackStates)
	if want(PartConntrack) || states {
		wg.Go(func() {
			st.Conntrack = collectConntrack(filepath.Join(c.cfg.ProcRoot, "sys"))
			if states && st.Conntrack.Available {
				st.Conntrack.States, st.Conntrack.StatesReason = conntrackStates()
			}
		})
	}
	do(PartIPTables, func() { st.IPTables = collectIPTables(ctx, c.run) })
	do(PartNFTables, func() { st.NFTables = collectNFTables(ctx, c.run) })
	do(PartIPVS, func() { st.IPVS = collectIPVS(ctx, filepath.Join(c.cfg.ProcRoot, "net"), c.run) })
	do(PartKubeProxy, func() {
		if c.cfg.KubeProxyMetrics == "off" {
			st.KubeProxy = KubeProxy{Part: unavailable("disabled (--kube-proxy-metrics off)")}
			return
		}
		st.KubeProxy = collectKubeProxy(ctx, c.hc, c.cfg.KubeProxyMetrics)
	})
	wg.Wait()
	st.CollectSeconds = time.Since(st.Time).Seconds()
	return st
}

// ParseParts splits a comma-separated list of part names, rejecting
// unknown ones.
func ParseParts(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out, bad []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(AllParts(), p) {
			bad = append(bad, p)
			continue
		}
		out = append(out, p)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("unknown part(s) %s; use %s", strings.Join(bad, ", "), strings.Join(AllParts(), ", "))
	}
	return out, nil
}
