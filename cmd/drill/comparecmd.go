package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/compare"
	"github.com/drillkit/drill/pkg/report/render"
)

func newCompareCmd(a *app) *cobra.Command {
	var (
		format, labels   string
		baseline         string
		opts             compare.Options
		failOnRegression bool
	)
	cmd := &cobra.Command{
		Use:     "compare [flags] BASELINE RUN... | compare --baseline BASELINE RUN...",
		Short:   "Compare saved runs with a statistical verdict per metric",
		Long:    "Compares saved runs with the first one, with a statistical verdict per metric (better, worse,\nno significant difference, inconclusive). A repeated run's directory stands for its trials, pooled.\nChecks of the scenario relative to the baseline (p99 <= +10%) pass or fail per run.\nThe same run given twice is refused.",
		Example: "  drill compare runs/A runs/B --fail-on-regression\n  drill compare --baseline runs/A runs/B runs/C\n  drill compare runs/A runs/B --labels before,after -o md",
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
		RunE: a.body(func(cmd *cobra.Command, pos []string) int {
			if baseline != "" {
				pos = append([]string{baseline}, pos...)
			}
			if len(pos) < 2 {
				return a.usage(cmd, "name a baseline and at least one run to compare with it")
			}
			return compareRuns(a, cmd, pos, format, labels, opts, failOnRegression)
		}),
	}
	fs := cmd.Flags()
	fs.StringVarP(&format, "output", "o", render.FormatTable, "output format: table, md, json, html")
	fs.Float64Var(&opts.Confidence, "confidence", compare.DefaultConfidence, "confidence level of every verdict")
	fs.Float64Var(&opts.RateEffect, "rate-effect", compare.DefaultRateEffect, "smallest change of an error rate worth detecting, as a fraction (0.001 = 0.1 percentage points): a rate with no significant difference is inconclusive when the runs have too few requests to detect it; negative: never")
	fs.Float64Var(&opts.Power, "power", compare.DefaultPower, "probability of detecting the smallest change that matters that the runs' requests must reach for \"no significant difference\" rather than \"inconclusive\"")
	fs.BoolVar(&failOnRegression, "fail-on-regression", false, "exit 3 when any metric is significantly worse than the baseline")
	fs.StringVar(&baseline, "baseline", "", "the baseline run, instead of the first argument; the scenario's checks relative to a baseline (p99 <= +10%) are judged on every run against it")
	fs.StringVar(&labels, "labels", "", "comma-separated names for the runs, in order (default: scenario and variant)")
	_ = cmd.RegisterFlagCompletionFunc("output", completeWords("table", "md", "json", "html"))
	return cmd
}

func compareRuns(a *app, cmd *cobra.Command, pos []string, format, labels string, opts compare.Options, failOnRegression bool) int {
	stdout, stderr := a.stdout, a.stderr
	if labels != "" {
		opts.Labels = strings.Split(labels, ",")
		if len(opts.Labels) != len(pos) {
			fmt.Fprintf(stderr, "drill compare: %d labels for %d runs; give one label per run\n", len(opts.Labels), len(pos))
			return report.ExitUsage
		}
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "drill compare: %v\n", err)
		return report.ExitUsage
	}
	runs := make([]*report.Report, 0, len(pos))
	for _, p := range pos {
		r, err := report.LoadRun(p)
		if err != nil {
			fmt.Fprintf(stderr, "drill compare: %v\n", err)
			return report.ExitError
		}
		runs = append(runs, r)
	}
	if i, j, ok := sameRun(runs); ok {
		fmt.Fprintf(stderr, "drill compare: %s and %s are the same run (%s, started %s): comparing a run with itself says nothing; give a baseline and a different run\n",
			pos[i], pos[j], runs[i].Scenario.Name, runs[i].StartedAt.Format(time.RFC3339))
		return report.ExitUsage
	}
	c := compare.Runs(runs, opts)
	if err := render.Comparison(stdout, c, format); err != nil {
		fmt.Fprintf(stderr, "drill compare: %v\n", err)
		return report.ExitUsage
	}
	if failOnRegression && c.Regressed() {
		fmt.Fprintf(stderr, "drill compare: regression: %s\n", strings.Join(c.Regressions(), "; "))
		return report.ExitRegression
	}
	return report.ExitOK
}

// sameRun finds two reports of the same run (the same directory named
// twice, a directory and its report.json, or a copy): the same scenario and
// variant started at the same instant.
func sameRun(runs []*report.Report) (int, int, bool) {
	for i := range runs {
		for j := i + 1; j < len(runs); j++ {
			a, b := runs[i], runs[j]
			if !a.StartedAt.IsZero() && a.StartedAt.Equal(b.StartedAt) && a.Scenario.Name == b.Scenario.Name && a.Variant == b.Variant {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}
