package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/ipvsemu"
)

const labUsage = `usage: drill lab <command> [flags]

commands:
  up           bring a lab up (or reuse a healthy one) and wait until all nodes are Ready
  status       show the lab's processes, nodes, memory and conntrack limit
  kubeconfig   print the path of the lab's kubeconfig (export KUBECONFIG=$(drill lab kubeconfig))
  down         remove the lab: processes, network namespaces, state (also after a crash)
  load-image   import image archives (docker save, OCI archive) into every node of the lab
  alb          run the lab ALB in the foreground (listener and ELBv2 API on loopback; prints its
               endpoints as JSON); not while a drill run uses the same lab: that run starts its own

"drill lab <command> -h" shows a command's flags.
`

// labCmd implements `drill lab ...`.
func labCmd(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, labUsage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help":
		fmt.Print(labUsage)
		return 0
	case "up":
		return labUp(ctx, rest)
	case "status":
		return labStatus(ctx, rest)
	case "kubeconfig":
		return labKubeconfig(rest)
	case "down":
		return labDown(ctx, rest)
	case "alb":
		return albCmd(ctx, rest)
	case "load-image":
		return labLoadImage(ctx, rest)
	case "relay":
		return labRelay(ctx, rest)
	case "registry":
		return labRegistry(ctx, rest)
	case "ipvs-proxy":
		return labIPVSProxy(ctx, rest)
	default:
		fmt.Fprintf(os.Stderr, "drill lab: unknown command %q\n%s", cmd, labUsage)
		return 2
	}
}

// labFlags holds the flags shared by the lab commands that name a lab.
type labFlags struct {
	name, stateRoot string
}

func (f *labFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", lab.DefaultName, "lab name (lowercase letters and digits)")
	fs.StringVar(&f.stateRoot, "state-root", lab.DefaultStateRoot, "directory holding the labs' state")
}

func parseLabFlags(fs *flag.FlagSet, args []string) (int, bool) {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "drill lab %s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return 2, false
	}
	return 0, true
}

func labUp(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	var lf labFlags
	lf.register(fs)
	cfg := lab.Config{Progress: os.Stderr}
	fs.IntVar(&cfg.Nodes, "nodes", lab.DefaultNodes, "number of nodes")
	fs.StringVar(&cfg.ProxyMode, "proxy-mode", lab.DefaultProxyMode, "kube-proxy mode: iptables, nftables or ipvs")
	fs.StringVar(&cfg.RelayAddr, "api-listen", "", "host loopback address of the API server relay (default: a free port on 127.0.0.1)")
	fs.IntVar(&cfg.HostConntrackMax, "host-conntrack-max", 0, "opt-in: set the HOST's global nf_conntrack_max for the lab's lifetime (restored by lab down); 0 leaves the host alone")
	fs.DurationVar(&cfg.ReadyTimeout, "timeout", lab.DefaultReadyTimeout, "how long to wait for the API server and all nodes Ready")
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	cfg.Name, cfg.StateRoot = lf.name, lf.stateRoot
	l, err := lab.Up(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab up: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "lab %s is up; use it with:\n  export KUBECONFIG=%s\n", l.Name(), l.Kubeconfig())
	return 0
}

func labStatus(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	var lf labFlags
	lf.register(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	l, err := lab.OpenIn(lf.stateRoot, lf.name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab status: %v\n", err)
		return 1
	}
	st, err := l.Status(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab status: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			fmt.Fprintf(os.Stderr, "drill lab status: %v\n", err)
			return 1
		}
	} else {
		printStatus(os.Stdout, st)
	}
	if len(st.Problems) > 0 {
		return 1
	}
	return 0
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

func labKubeconfig(args []string) int {
	fs := flag.NewFlagSet("kubeconfig", flag.ContinueOnError)
	var lf labFlags
	lf.register(fs)
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	l, err := lab.OpenIn(lf.stateRoot, lf.name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab kubeconfig: %v\n", err)
		return 1
	}
	fmt.Println(l.Kubeconfig())
	return 0
}

func labDown(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	var lf labFlags
	lf.register(fs)
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	if err := lab.DownIn(ctx, lf.stateRoot, lf.name, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "drill lab down: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "lab %s is down\n", lf.name)
	return 0
}

// labRelay runs the loopback API relay (started by lab up, not by users).
func labRelay(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	var cfg lab.RelayConfig
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "host loopback address to listen on")
	fs.StringVar(&cfg.AddrFile, "addr-file", "", "file receiving the actual listen address")
	fs.StringVar(&cfg.Netns, "netns", "", "lab network namespace to dial from")
	fs.StringVar(&cfg.Target, "target", "", "address to dial inside the namespace")
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := lab.RunRelay(ctx, cfg, log); err != nil {
		fmt.Fprintf(os.Stderr, "drill lab relay: %v\n", err)
		return 1
	}
	return 0
}

// labRegistry runs the lab registry (started by lab up in the control
// plane's namespace, not by users).
func labRegistry(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	var cfg lab.RegistryConfig
	fs.StringVar(&cfg.Listen, "listen", "", "address to serve on")
	fs.StringVar(&cfg.Layout, "layout", "", "OCI image layout whose ghcr.io images are served")
	fs.StringVar(&cfg.ReadyFile, "ready-file", "", "file written once the images are served")
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	if err := lab.ServeRegistry(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
		fmt.Fprintf(os.Stderr, "drill lab registry: %v\n", err)
		return 1
	}
	return 0
}

// labLoadImage imports image archives into every node of a lab.
func labLoadImage(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("load-image", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drill lab load-image [--name LAB] FILE.tar...")
		fs.PrintDefaults()
	}
	var lf labFlags
	lf.register(fs)
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	l, err := lab.OpenIn(lf.stateRoot, lf.name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab load-image: %v\n", err)
		return 1
	}
	names, err := l.LoadImages(ctx, fs.Args()...)
	for _, n := range names {
		fmt.Println(n)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab load-image: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "%d images loaded into every node of lab %s\n", len(names), lf.name)
	return 0
}

// labIPVSProxy runs the emulated IPVS proxier of a node (started by lab up
// in the node namespace when the kernel has no ip_vs).
func labIPVSProxy(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("ipvs-proxy", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the proxier")
	var cfg ipvsemu.Config
	fs.StringVar(&cfg.ClusterCIDR, "cluster-cidr", "", "pod range; NodePort traffic from outside it is masqueraded")
	fs.DurationVar(&cfg.MinSyncPeriod, "min-sync-period", time.Second, "minimum interval between ruleset rewrites")
	fs.DurationVar(&cfg.SyncPeriod, "sync-period", 30*time.Second, "full resync interval")
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	if *kubeconfig == "" || cfg.ClusterCIDR == "" {
		fmt.Fprintln(os.Stderr, "drill lab ipvs-proxy: --kubeconfig and --cluster-cidr are required")
		return 2
	}
	rc, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab ipvs-proxy: %v\n", err)
		return 1
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab ipvs-proxy: %v\n", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := ipvsemu.Run(ctx, cs, cfg, log); err != nil {
		fmt.Fprintf(os.Stderr, "drill lab ipvs-proxy: %v\n", err)
		return 1
	}
	return 0
}
