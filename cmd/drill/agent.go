package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/agent"
)

func newAgentCmd(a *app) *cobra.Command {
	var listen, node, kubeProxy, parts string
	var once bool
	cmd := &cobra.Command{
		Use:   "agent [flags]",
		Short: "Serve this node's datapath state (the node agent DaemonSet's command)",
		Long: fmt.Sprintf(`Serves this node's datapath state (conntrack, iptables, nftables, IPVS, kube-proxy syncs)
as JSON on %s; run it as a hostNetwork DaemonSet with NET_ADMIN (deploy/agent.yaml).`, agent.Path),
		RunE: a.body(func(cmd *cobra.Command, args []string) int {
			if len(args) > 0 {
				return a.usage(cmd, "unexpected argument %q", args[0])
			}
			return agentRun(cmd.Context(), listen, node, kubeProxy, parts, once, a.stdout, a.stderr)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&listen, "listen", fmt.Sprintf(":%d", agent.DefaultPort), "address to serve the node's state on")
	fs.StringVar(&node, "node", "", "node name reported (default: $NODE_NAME, else the host name)")
	fs.StringVar(&kubeProxy, "kube-proxy-metrics", agent.DefaultKubeProxyMetrics, "base URL of kube-proxy's metrics server on this node, or off")
	fs.BoolVar(&once, "once", false, "print the node's state as JSON once and exit")
	fs.StringVar(&parts, "parts", "", "with --once: comma-separated parts to collect (default all: conntrack,iptables,nftables,ipvs,kubeproxy)")
	return cmd
}

func agentRun(ctx context.Context, listen, node, kubeProxy, parts string, once bool, stdout, stderr io.Writer) int {
	c := agent.New(agent.Config{Node: node, KubeProxyMetrics: kubeProxy})
	if once {
		ps, err := agent.ParseParts(parts)
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
	l, err := net.Listen("tcp", listen)
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
