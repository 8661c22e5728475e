package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

// attackFlags are drill attack's own flags; the rest are drill run's.
type attackFlags struct {
	name, rate, duration, timeout, method, body, bodyFile string
	headers, checks                                       []string
}

// attackBase is the scenario drill attack starts from; every flag is an
// override of it, so it is checked like a file and problems name the flag.
const attackBase = `apiVersion: drill/v1
kind: Scenario
metadata: {name: attack}
target: {url: "http://127.0.0.1/"}
load:
  rate: 50/s
  duration: 30s
  requests: [{}]
`

func newAttackCmd(a *app) *cobra.Command {
	f := runFlags{labName: run.RunLabName} // no lab: a url target
	var af attackFlags
	cmd := &cobra.Command{
		Use:   "attack [flags] URL",
		Short: "Send load to one URL and write a scored report, without a scenario file",
		Long: `Builds a scenario with a url target in memory from the flags and runs it as drill run
does: the same load engine, report and exit codes. The scenario is checked like a file; a
problem names the flag it came from. Load goes to loopback and the lab range only, unless
--allow-remote.`,
		Example: `  drill attack http://127.0.0.1:8080/ --rate 100/s --duration 30s
  drill attack http://127.0.0.1:8080/orders --method POST --body-file order.json -H 'Content-Type: application/json' --check 'p99 < 200ms'`,
		Args: cobra.ArbitraryArgs,
		RunE: a.body(func(cmd *cobra.Command, args []string) int {
			if len(args) != 1 {
				return a.usage(cmd, "name one URL to send load to")
			}
			if code := checkRunFlags(a, cmd, f); code != report.ExitOK {
				return code
			}
			sets, err := af.sets(args[0], cmd)
			if err != nil {
				return a.usage(cmd, "%v", err)
			}
			plan, err := run.PrepareData("drill attack", []byte(attackBase), scenario.Options{AllowHuge: f.allowHuge, Set: sets})
			if err != nil {
				fmt.Fprintln(a.stderr, err)
				fmt.Fprintln(a.stderr, "drill: nothing was run; fix the flags")
				return report.ExitUsage
			}
			return runPlans(cmd.Context(), a, cmd, []*run.Plan{plan}, f)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&af.name, "name", "attack", "the scenario's name, in the report and the run directory's name")
	fs.StringVar(&af.rate, "rate", "50/s", "requests per period, FREQ/PER")
	fs.StringVar(&af.duration, "duration", "30s", "how long the load lasts")
	fs.StringVar(&af.timeout, "timeout", "", "timeout of each request (default the scenario's, 30s)")
	fs.StringVar(&af.method, "method", "GET", "HTTP method")
	fs.StringArrayVarP(&af.headers, "header", "H", nil, "request header 'Name: value' (repeatable)")
	fs.StringVar(&af.body, "body", "", "request body")
	fs.StringVar(&af.bodyFile, "body-file", "", "file whose bytes are the request body")
	fs.StringArrayVar(&af.checks, "check", nil, "a check the run must pass, e.g. 'p99 < 200ms' (repeatable; docs/checks.md)")
	f.registerOutput(cmd)
	_ = cmd.MarkFlagFilename("body-file")
	return cmd
}

// sets turns the URL and the flags given into overrides of attackBase.
func (af attackFlags) sets(url string, cmd *cobra.Command) ([]scenario.Set, error) {
	out := []scenario.Set{
		text("target.url", url, "URL "+url),
		text("metadata.name", af.name, "--name "+af.name),
		{Path: "load.rate", Value: af.rate, Flag: "--rate " + af.rate},
		{Path: "load.duration", Value: af.duration, Flag: "--duration " + af.duration},
		text("load.requests[0].method", af.method, "--method "+af.method),
	}
	if cmd.Flags().Changed("timeout") {
		out = append(out, scenario.Set{Path: "load.timeout", Value: af.timeout, Flag: "--timeout " + af.timeout})
	}
	if cmd.Flags().Changed("body") {
		out = append(out, text("load.requests[0].body", af.body, "--body"))
	}
	if cmd.Flags().Changed("body-file") {
		out = append(out, text("load.requests[0].bodyFile", af.bodyFile, "--body-file "+af.bodyFile))
	}
	for _, h := range af.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" || strings.Contains(name, ".") {
			return nil, fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		out = append(out, text("load.headers."+strings.TrimSpace(name), strings.TrimSpace(value), "-H "+strconv.Quote(h)))
	}
	for i, c := range af.checks {
		out = append(out, text("checks["+strconv.Itoa(i)+"]", c, "--check "+strconv.Quote(c)))
	}
	return out, nil
}

// text is an override whose value is the string s, whatever YAML would
// make of it unquoted.
func text(path, s, flag string) scenario.Set {
	b, _ := yaml.Marshal(s)
	return scenario.Set{Path: path, Value: strings.TrimSuffix(string(b), "\n"), Flag: flag}
}
