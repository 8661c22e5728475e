package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/drillkit/drill/pkg/agent"
)

func agentCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", fmt.Sprintf(":%d", agent.DefaultPort), "address to serve the node's state on")
	node := fs.String("node", "", "node name reported (default: $NODE_NAME, else the host name)")
	kubeProxy := fs.String("kube-proxy-metrics", agent.DefaultKubeProxyMetrics, "base URL of kube-proxy's metrics server on this node, or off")
	once := fs.Bool("once", false, "print the node's state as JSON once and exit")
	parts := fs.String("parts", "", "with --once: comma-separated parts to collect (default all: conntrack,iptables,nftables,ipvs,kubeproxy)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: drill agent [flags]\n\nServes this node's datapath state (conntrack, iptables, nftables, IPVS, kube-proxy syncs)\nas JSON on %s; run it as a hostNetwork DaemonSet with NET_ADMIN (deploy/agent.yaml).\n\nflags:\n", agent.Path)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "drill agent: unexpected argument %q; see drill agent -h\n", fs.Arg(0))
		return 2
	}
	c := agent.New(agent.Config{Node: *node, KubeProxyMetrics: *kubeProxy})
	if *once {
		ps, err := agent.ParseParts(*parts)
		if err != nil {
			fmt.Fprintf(stderr, "drill agent: --parts: %v\n", err)
			return 2
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c.Collect(ctx, ps...)); err != nil {
			fmt.Fprintf(stderr, "drill agent: %v\n", err)
			return 1
		}
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "drill agent: %v; pick a free address with --listen\n", err)
		return 1
	}
	srv := &http.Server{Handler: agent.Handler(c, log), ReadHeaderTimeout: 10 * time.Second}
	log.Info("drill agent serving", "addr", l.Addr().String(), "path", agent.Path)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "drill agent: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "drill agent: shutdown: %v\n", err)
		return 1
	}
	return 0
}
