package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/report"
)

// pathList is a repeatable -f flag.
type pathList []string

func (p *pathList) String() string     { return strings.Join(*p, ",") }
func (p *pathList) Set(v string) error { *p = append(*p, v); return nil }

func adviseCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill advise", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var paths pathList
	fs.Var(&paths, "f", "a manifest file or directory (repeatable)")
	defaults := fs.String("ingress-defaults", "", "eks: the AWS Load Balancer Controller's defaults apply to every Ingress, whatever its class")
	out := fs.String("o", "table", "output: table, json or sarif")
	propagation := fs.Duration("propagation", advise.DefaultPropagation, "time from a pod's deletion until the load balancer stops sending it new requests")
	rules := fs.Bool("rules", false, "list the rules and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: drill advise -f FILE|DIR [-f ...] [--ingress-defaults eks] [-o table|json|sarif]\n\n"+
			"Reads Kubernetes manifests and flags what would make a rollout drop traffic, before any traffic:\n"+
			"each finding with its rule, level, object, file:line, reason, evidence and fix (docs/advise.md).\n"+
			"Exit 3 when a finding is an error, 2 for input drill cannot read, 0 otherwise.\n\n")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	if *rules {
		if err := advise.WriteRules(stdout); err != nil {
			fmt.Fprintln(stderr, "drill advise:", err)
			return report.ExitError
		}
		return report.ExitOK
	}
	paths = append(paths, pos...)
	write, ok := map[string]func([]advise.Finding) error{
		"table": func(f []advise.Finding) error { return advise.WriteTable(stdout, f) },
		"json":  func(f []advise.Finding) error { return advise.WriteJSON(stdout, f) },
		"sarif": func(f []advise.Finding) error { return advise.WriteSARIF(stdout, f, version) },
	}[*out]
	switch {
	case !ok:
		fmt.Fprintf(stderr, "drill advise: -o %q: use table, json or sarif\n", *out)
		return report.ExitUsage
	case len(paths) == 0:
		fmt.Fprintln(stderr, "drill advise: name the manifests with -f FILE or -f DIR")
		return report.ExitUsage
	}
	m, err := advise.Read(paths)
	var findings []advise.Finding
	if err == nil {
		findings, err = advise.Analyze(m, advise.Options{IngressDefaults: *defaults, Propagation: *propagation})
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
