package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/report"
)

func newAdviseCmd(a *app) *cobra.Command {
	var (
		paths         []string
		defaults, out string
		propagation   time.Duration
		rules         bool
	)
	cmd := &cobra.Command{
		Use:   "advise -f FILE|DIR [-f ...] [flags]",
		Short: "Flag what in Kubernetes manifests would make a rollout drop traffic",
		Long: `Reads Kubernetes manifests and flags what would make a rollout drop traffic, before any traffic:
each finding with its rule, level, object, file:line, reason, evidence and fix (docs/advise.md).
Exit 3 when a finding is an error, 2 for input drill cannot read, 0 otherwise.`,
		Example: `  drill advise -f deploy/ --ingress-defaults eks
  drill advise -f app.yaml -o sarif > advise.sarif`,
		RunE: a.body(func(cmd *cobra.Command, pos []string) int {
			return adviseRun(a, cmd, append(paths, pos...), defaults, out, propagation, rules)
		}),
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&paths, "filename", "f", nil, "a manifest file or directory `PATH` (repeatable)")
	fs.StringVar(&defaults, "ingress-defaults", "", "eks: the AWS Load Balancer Controller's defaults apply to every Ingress, whatever its class")
	fs.StringVarP(&out, "output", "o", "table", "output: table, json or sarif")
	fs.DurationVar(&propagation, "propagation", advise.DefaultPropagation, "time from a pod's deletion until the load balancer stops sending it new requests")
	fs.BoolVar(&rules, "rules", false, "list the rules and exit")
	_ = cmd.RegisterFlagCompletionFunc("output", completeWords("table", "json", "sarif"))
	_ = cmd.RegisterFlagCompletionFunc("ingress-defaults", completeWords("eks"))
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

func adviseRun(a *app, cmd *cobra.Command, paths []string, defaults, out string, propagation time.Duration, rules bool) int {
	stdout, stderr := a.stdout, a.stderr
	if rules {
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
	}[out]
	switch {
	case !ok:
		return a.usage(cmd, "-o %q: use table, json or sarif", out)
	case len(paths) == 0:
		return a.usage(cmd, "name the manifests with -f FILE or -f DIR")
	}
	m, err := advise.Read(paths)
	var findings []advise.Finding
	if err == nil {
		findings, err = advise.Analyze(m, advise.Options{IngressDefaults: defaults, Propagation: propagation})
	}
	if err != nil {
		// One problem a line, each as file:line: message.
		fmt.Fprintln(stderr, err)
		return report.ExitUsage
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
