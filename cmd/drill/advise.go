package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/report"
)

func newAdviseCmd(a *app) *cobra.Command {
	var (
		paths         []string
		defaults, out string
		propagation   time.Duration
		rules, live   bool
		sel           cluster.Selection
	)
	cmd := &cobra.Command{
		Use:   "advise -f FILE|DIR [-f ...] [--live] [flags]",
		Short: "Flag what in Kubernetes manifests would make a rollout drop traffic",
		Long: `Reads Kubernetes manifests and flags what would make a rollout drop traffic, before any traffic:
each finding with its rule, level, object, file:line, reason, evidence and fix (docs/advise.md).
With --live it also reads every node's conntrack table of the cluster through drill's agent
(deploy/agent.yaml) and flags low headroom (rule conntrack-headroom).
Exit 3 when a finding is an error, 2 for input drill cannot read, 1 when the live cluster
cannot be read, 0 otherwise.`,
		Example: `  drill advise -f deploy/ --ingress-defaults eks
  drill advise -f app.yaml -o sarif > advise.sarif
  drill advise --live --context prod`,
		RunE: a.body(func(cmd *cobra.Command, pos []string) int {
			return adviseRun(a, cmd, adviseArgs{paths: append(paths, pos...), defaults: defaults, out: out,
				propagation: propagation, rules: rules, live: live, sel: sel})
		}),
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&paths, "filename", "f", nil, "a manifest file or directory `PATH` (repeatable)")
	fs.StringVar(&defaults, "ingress-defaults", "", "eks: the AWS Load Balancer Controller's defaults apply to every Ingress, whatever its class")
	fs.StringVarP(&out, "output", "o", "table", "output: table, json or sarif")
	fs.DurationVar(&propagation, "propagation", advise.DefaultPropagation, "time from a pod's deletion until the load balancer stops sending it new requests")
	fs.BoolVar(&rules, "rules", false, "list the rules and exit")
	fs.BoolVar(&live, "live", false, "also read the live cluster's nodes through drill's agent (conntrack headroom)")
	bindClusterFlags(fs, &sel, " of the live cluster (with --live), as kubectl's ")
	_ = cmd.RegisterFlagCompletionFunc("output", completeWords("table", "json", "sarif"))
	_ = cmd.RegisterFlagCompletionFunc("ingress-defaults", completeWords("eks"))
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

// adviseArgs are drill advise's flags and arguments.
type adviseArgs struct {
	paths         []string
	defaults, out string
	propagation   time.Duration
	rules, live   bool
	sel           cluster.Selection
}

// liveTimeout bounds reading the live cluster's nodes.
const liveTimeout = 30 * time.Second

func adviseRun(a *app, cmd *cobra.Command, args adviseArgs) int {
	stdout, stderr := a.stdout, a.stderr
	if args.rules {
		if err := advise.WriteRules(stdout); err != nil {
			fmt.Fprintln(stderr, "drill advise:", err)
			return report.ExitError
		}
		return report.ExitOK
	}
	write, ok := map[string]func([]advise.Finding) error{
		"table": func(f []advise.Finding) error { return advise.WriteTable(stdout, f) },
		"json":  func(f []advise.Finding) error { return advise.WriteJSON(stdout, f) },
		"sarif": func(f []advise.Finding) error { return advise.WriteSARIF(stdout, f, buildVersion().Short()) },
	}[args.out]
	switch {
	case !ok:
		return a.usage(cmd, "-o %q: use table, json or sarif", args.out)
	case len(args.paths) == 0 && !args.live:
		return a.usage(cmd, "name the manifests with -f FILE or -f DIR, or read a live cluster with --live")
	case !args.live && selectionFlags(args.sel) != "":
		return a.usage(cmd, "%s name the live cluster: add --live", selectionFlags(args.sel))
	}
	if err := checkSelection(args.sel); err != nil {
		return a.usage(cmd, "%v", err)
	}
	var findings []advise.Finding
	if len(args.paths) > 0 {
		m, err := advise.Read(args.paths)
		if err == nil {
			findings, err = advise.Analyze(m, advise.Options{IngressDefaults: args.defaults, Propagation: args.propagation})
		}
		if err != nil {
			// One problem a line, each as file:line: message.
			fmt.Fprintln(stderr, err)
			return report.ExitUsage
		}
	}
	if args.live {
		nodes, err := liveNodes(cmd.Context(), args.sel)
		if err != nil && len(nodes) == 0 {
			fmt.Fprintln(stderr, "drill advise --live:", err)
			return report.ExitError
		}
		if err != nil {
			fmt.Fprintln(stderr, "drill advise --live:", err)
		}
		findings = append(findings, advise.AnalyzeNodes(nodes)...)
	}
	if err := write(findings); err != nil {
		fmt.Fprintln(stderr, "drill advise:", err)
		return report.ExitError
	}
	if advise.HasErrors(findings) {
		return report.ExitChecksFailed
	}
	return report.ExitOK
}

// liveNodes reads the conntrack tables of the selected cluster's nodes.
func liveNodes(ctx context.Context, sel cluster.Selection) ([]advise.NodeConntrack, error) {
	c, err := cluster.Open(sel)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	return advise.ReadNodes(ctx, c.Client)
}
