package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/ipvsemu"
)

// newLabCmd is `drill lab ...`: the embedded lab cluster. Its hidden
// commands are the lab's own processes, started by lab up.
func newLabCmd(a *app) *cobra.Command {
	cmd := group(a, &cobra.Command{
		Use:   "lab",
		Short: "Manage the embedded lab cluster",
		Long: `The embedded lab: a small real Kubernetes cluster on this machine, made of network namespaces,
behind a lab ALB (docs/lab.md). Needs root.`,
		Example: `  drill lab up --nodes 2
  export KUBECONFIG=$(drill lab kubeconfig)
  drill lab down`,
	})
	cmd.AddCommand(newLabUpCmd(a), newLabStatusCmd(a), newLabKubeconfigCmd(a), newLabDownCmd(a),
		newLabLoadImageCmd(a), newLabALBCmd(a),
		newLabRelayCmd(a), newLabRegistryCmd(a), newLabIPVSProxyCmd(a))
	return cmd
}

// labFlags holds the flags shared by the lab commands that name a lab.
type labFlags struct {
	name, stateRoot string
}

func (f *labFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.name, "name", lab.DefaultName, "lab name (lowercase letters and digits)")
	cmd.Flags().StringVar(&f.stateRoot, "state-root", lab.DefaultStateRoot, "directory holding the labs' state")
	_ = cmd.MarkFlagDirname("state-root")
}

// labLeaf is a lab command that takes flags only.
func labLeaf(a *app, use, short, long string, run func(ctx context.Context) int) *cobra.Command {
	return &cobra.Command{
		Use:   use + " [flags]",
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE:  a.body(func(cmd *cobra.Command, _ []string) int { return run(cmd.Context()) }),
	}
}

func newLabUpCmd(a *app) *cobra.Command {
	var lf labFlags
	cfg := lab.Config{Progress: a.stderr}
	cmd := labLeaf(a, "up", "Bring a lab up (or reuse a healthy one) and wait until all nodes are Ready",
		"Brings a lab up, or reuses a healthy one of the same name, and waits until the API server and every node are Ready.",
		func(ctx context.Context) int {
			cfg.Name, cfg.StateRoot = lf.name, lf.stateRoot
			l, err := lab.Up(ctx, cfg)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab up: %v\n", err)
				return 1
			}
			fmt.Fprintf(a.stderr, "lab %s is up; use it with:\n  export KUBECONFIG=%s\n", l.Name(), l.Kubeconfig())
			return 0
		})
	lf.register(cmd)
	fs := cmd.Flags()
	fs.IntVar(&cfg.Nodes, "nodes", lab.DefaultNodes, "number of nodes")
	fs.StringVar(&cfg.ProxyMode, "proxy-mode", lab.DefaultProxyMode, "kube-proxy mode: iptables, nftables or ipvs")
	fs.StringVar(&cfg.RelayAddr, "api-listen", "", "host loopback address of the API server relay (default: a free port on 127.0.0.1)")
	fs.IntVar(&cfg.HostConntrackMax, "host-conntrack-max", 0, "opt-in: set the HOST's global nf_conntrack_max for the lab's lifetime (restored by lab down); 0 leaves the host alone")
	fs.DurationVar(&cfg.ReadyTimeout, "timeout", lab.DefaultReadyTimeout, "how long to wait for the API server and all nodes Ready")
	_ = cmd.RegisterFlagCompletionFunc("proxy-mode", completeWords("iptables", "nftables", "ipvs"))
	return cmd
}

func newLabStatusCmd(a *app) *cobra.Command {
	var lf labFlags
	var asJSON bool
	cmd := labLeaf(a, "status", "Show the lab's processes, nodes, memory and conntrack limit",
		"Shows the lab's processes, nodes, memory and conntrack limit; exit 1 when something is wrong with it.",
		func(ctx context.Context) int {
			l, err := lab.OpenIn(lf.stateRoot, lf.name)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab status: %v\n", err)
				return 1
			}
			st, err := l.Status(ctx)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab status: %v\n", err)
				return 1
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(st); err != nil {
					fmt.Fprintf(a.stderr, "drill lab status: %v\n", err)
					return 1
				}
			} else {
				printStatus(a.stdout, st)
			}
			if len(st.Problems) > 0 {
				return 1
			}
			return 0
		})
	lf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func printStatus(w io.Writer, st lab.Status) {
	fmt.Fprintf(w, "lab:         %s\n", st.Name)
	fmt.Fprintf(w, "api server:  %s (ready: %t)\n", st.APIServer, st.APIReady)
	fmt.Fprintf(w, "kubeconfig:  %s\n", st.Kubeconfig)
	fmt.Fprintf(w, "proxy mode:  %s\n", st.ProxyMode)
	ct := fmt.Sprintf("%d (host global, shared by all nodes; read-only inside a node)", st.HostConntrackMax)
	if st.HostConntrackMaxChanged {
		ct = fmt.Sprintf("%d (host global, set by this lab; restored by lab down)", st.HostConntrackMax)
	}
	fmt.Fprintf(w, "conntrack:   nf_conntrack_max %s\n", ct)
	fmt.Fprintf(w, "memory:      %.0f MiB RSS (all lab processes)\n", float64(st.RSSBytes)/(1<<20))
	fmt.Fprintf(w, "state:       %s\n\n", st.StateDir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tIP\tPOD CIDR\tREADY\tPODS\tNETNS")
	for _, n := range st.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%d\t%s\n", n.Name, n.IP, n.PodCIDR, n.Ready, n.Pods, n.Netns)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "PROCESS\tPID\tRUNNING\tRSS MiB\tLOG")
	for _, p := range st.Processes {
		fmt.Fprintf(tw, "%s\t%d\t%t\t%.0f\t%s\n", p.Name, p.PID, p.Running, float64(p.RSSBytes)/(1<<20), p.Log)
	}
	tw.Flush()
	if len(st.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems:\n  %s\n", strings.Join(st.Problems, "\n  "))
	}
}

func newLabKubeconfigCmd(a *app) *cobra.Command {
	var lf labFlags
	cmd := labLeaf(a, "kubeconfig", "Print the path of the lab's kubeconfig",
		"Prints the path of the lab's kubeconfig: export KUBECONFIG=$(drill lab kubeconfig).",
		func(context.Context) int {
			l, err := lab.OpenIn(lf.stateRoot, lf.name)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab kubeconfig: %v\n", err)
				return 1
			}
			fmt.Fprintln(a.stdout, l.Kubeconfig())
			return 0
		})
	lf.register(cmd)
	return cmd
}

func newLabDownCmd(a *app) *cobra.Command {
	var lf labFlags
	cmd := labLeaf(a, "down", "Remove the lab: processes, network namespaces, state (also after a crash)",
		"Removes the lab: its processes, network namespaces, mounts and state, also after a crash.",
		func(ctx context.Context) int {
			if err := lab.DownIn(ctx, lf.stateRoot, lf.name, a.stderr); err != nil {
				fmt.Fprintf(a.stderr, "drill lab down: %v\n", err)
				return 1
			}
			fmt.Fprintf(a.stderr, "lab %s is down\n", lf.name)
			return 0
		})
	lf.register(cmd)
	return cmd
}

// hidden marks a lab process's command: started by lab up, not by users.
func hidden(cmd *cobra.Command) *cobra.Command {
	cmd.Hidden = true
	return cmd
}

func newLabRelayCmd(a *app) *cobra.Command {
	var cfg lab.RelayConfig
	cmd := hidden(labLeaf(a, "relay", "The loopback relay to the lab's API server (started by lab up)", "",
		func(ctx context.Context) int {
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			if err := lab.RunRelay(ctx, cfg, log); err != nil {
				fmt.Fprintf(a.stderr, "drill lab relay: %v\n", err)
				return 1
			}
			return 0
		}))
	fs := cmd.Flags()
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "host loopback address to listen on")
	fs.StringVar(&cfg.AddrFile, "addr-file", "", "file receiving the actual listen address")
	fs.StringVar(&cfg.Netns, "netns", "", "lab network namespace to dial from")
	fs.StringVar(&cfg.Target, "target", "", "address to dial inside the namespace")
	return cmd
}

func newLabRegistryCmd(a *app) *cobra.Command {
	var cfg lab.RegistryConfig
	cmd := hidden(labLeaf(a, "registry", "The lab registry in the control plane's namespace (started by lab up)", "",
		func(ctx context.Context) int {
			if err := lab.ServeRegistry(ctx, cfg, slog.New(slog.NewTextHandler(a.stderr, nil))); err != nil {
				fmt.Fprintf(a.stderr, "drill lab registry: %v\n", err)
				return 1
			}
			return 0
		}))
	fs := cmd.Flags()
	fs.StringVar(&cfg.Listen, "listen", "", "address to serve on")
	fs.StringVar(&cfg.Layout, "layout", "", "OCI image layout whose ghcr.io images are served")
	fs.StringVar(&cfg.ReadyFile, "ready-file", "", "file written once the images are served")
	return cmd
}

func newLabLoadImageCmd(a *app) *cobra.Command {
	var lf labFlags
	cmd := &cobra.Command{
		Use:               "load-image [--name LAB] FILE.tar...",
		Short:             "Import image archives (docker save, OCI archive) into every node of the lab",
		Long:              "Imports image archives (docker save, OCI archive) into every node of the lab.",
		ValidArgsFunction: completeFiles("tar"),
		RunE: a.body(func(cmd *cobra.Command, files []string) int {
			if len(files) == 0 {
				return a.usage(cmd, "name at least one image archive")
			}
			l, err := lab.OpenIn(lf.stateRoot, lf.name)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab load-image: %v\n", err)
				return 1
			}
			names, err := l.LoadImages(cmd.Context(), files...)
			for _, n := range names {
				fmt.Fprintln(a.stdout, n)
			}
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab load-image: %v\n", err)
				return 1
			}
			fmt.Fprintf(a.stderr, "%d images loaded into every node of lab %s\n", len(names), lf.name)
			return 0
		}),
	}
	lf.register(cmd)
	return cmd
}

// newLabIPVSProxyCmd runs the emulated IPVS proxier of a node (started by
// lab up in the node namespace when the kernel has no ip_vs).
func newLabIPVSProxyCmd(a *app) *cobra.Command {
	var kubeconfig string
	var cfg ipvsemu.Config
	cmd := hidden(labLeaf(a, "ipvs-proxy", "The emulated IPVS proxier of a node (started by lab up)", "",
		func(ctx context.Context) int {
			if kubeconfig == "" || cfg.ClusterCIDR == "" {
				fmt.Fprintln(a.stderr, "drill lab ipvs-proxy: --kubeconfig and --cluster-cidr are required")
				return 2
			}
			rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab ipvs-proxy: %v\n", err)
				return 1
			}
			cs, err := kubernetes.NewForConfig(rc)
			if err != nil {
				fmt.Fprintf(a.stderr, "drill lab ipvs-proxy: %v\n", err)
				return 1
			}
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			if err := ipvsemu.Run(ctx, cs, cfg, log); err != nil {
				fmt.Fprintf(a.stderr, "drill lab ipvs-proxy: %v\n", err)
				return 1
			}
			return 0
		}))
	fs := cmd.Flags()
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the proxier")
	fs.StringVar(&cfg.ClusterCIDR, "cluster-cidr", "", "pod range; NodePort traffic from outside it is masqueraded")
	fs.DurationVar(&cfg.MinSyncPeriod, "min-sync-period", time.Second, "minimum interval between ruleset rewrites")
	fs.DurationVar(&cfg.SyncPeriod, "sync-period", 30*time.Second, "full resync interval")
	return cmd
}
