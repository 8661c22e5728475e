package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/drillkit/drill/pkg/report/compare"
	"github.com/drillkit/drill/pkg/report/internal/human"
	"github.com/drillkit/drill/pkg/stats"
)

// ComparisonFormats lists the formats Comparison accepts.
var ComparisonFormats = []string{FormatTable, FormatMarkdown, FormatJSON, FormatHTML}

// Comparison writes c to w in format "table", "md", "json" or "html".
// It is written in one piece, without the userinfo of URLs.
func Comparison(w io.Writer, c *compare.Comparison, format string) error {
	return writeRedacted(w, nil, format == FormatHTML, func(w io.Writer) error { return renderComparison(w, c, format) })
}

func renderComparison(w io.Writer, c *compare.Comparison, format string) error {
	switch format {
	case FormatTable:
		return writeText(w, comparisonHeading(c, false), comparisonSections(c, false))
	case FormatMarkdown:
		return writeMarkdown(w, comparisonHeading(c, true), comparisonSections(c, true))
	case FormatJSON:
		return writeJSON(w, c)
	case FormatHTML:
		class := "passed"
		if c.Regressed() {
			class = "worse"
		}
		var charts any
		if d := comparisonChartDataOf(c); d != nil {
			charts = d
		}
		return writeHTML(w, "drill compare", class, comparisonHeading(c, false), comparisonSections(c, false), charts)
	}
	return fmt.Errorf("render comparison: unknown format %q; use one of %s", format, strings.Join(ComparisonFormats, ", "))
}

func comparisonHeading(c *compare.Comparison, markdown bool) []string {
	conf := fmt.Sprintf("%s%% confidence", human.Float(c.Confidence*100))
	what := fmt.Sprintf("%d run(s) against baseline %s at %s", len(c.Candidates), c.Baseline.Label, conf)
	regs := c.Regressions()
	var head string
	switch {
	case len(regs) > 0 && markdown:
		head = "### ❌ REGRESSION: " + mdEscape(what)
	case len(regs) > 0:
		head = "REGRESSION  " + what
	case markdown:
		head = "### ✅ NO REGRESSION: " + mdEscape(what)
	default:
		head = "NO REGRESSION  " + what
	}
	lines := []string{head}
	if len(regs) > 0 {
		l := "Worse: " + strings.Join(regs, "; ")
		if markdown {
			l = "**" + mdEscape(l) + "**"
		}
		lines = append(lines, l)
	}
	if inc := c.Inconclusives(); len(inc) > 0 {
		l := "Inconclusive (too few requests to tell): " + strings.Join(inc, "; ")
		if markdown {
			l = mdEscape(l)
		}
		lines = append(lines, l)
	}
	return lines
}

func comparisonSections(c *compare.Comparison, markdown bool) []section {
	all := append([]compare.RunRef{c.Baseline}, candRefs(c)...)
	sameScenario := true
	for _, r := range all {
		sameScenario = sameScenario && r.Scenario == c.Baseline.Scenario
	}
	runs := newTable("#", "run", "scenario", "variant", "status", "requests", "score", "started").alignRight(0, 5, 6)
	for i, r := range all {
		status := string(r.Status)
		if r.Incomplete {
			status += " (incomplete)"
		}
		label := r.Label
		if i == 0 {
			label += " (baseline)"
		}
		requests := fmt.Sprint(r.Requests)
		if r.Trials > 0 {
			requests += fmt.Sprintf(" (%d trials)", r.Trials)
		}
		runs.add(fmt.Sprint(i+1), label, r.Scenario, r.Variant, status, requests, fmt.Sprintf("%.1f", r.Score), fmtTime(r.StartedAt))
	}
	if sameScenario {
		runs.dropColumn(2)
	}
	secs := []section{{title: "Runs", parts: []part{{table: runs}}}}
	for _, cand := range c.Candidates {
		t := newTable("metric", "baseline", "candidate", "delta", "test", "evidence", "verdict", "note").alignRight(1, 2, 3)
		for _, m := range cand.Metrics {
			t.add(m.Name, m.Baseline, m.Candidate, m.Delta, shortMethod(m.Test), m.Evidence, verdictMark(m.Verdict, markdown), m.Note)
		}
		parts := []part{{table: t}}
		if len(cand.Checks) > 0 {
			ct := newTable("result", "check against the baseline", "candidate", "message")
			for _, ch := range cand.Checks {
				ct.add(checkMark(ch, markdown), ch.Expr, ch.Actual, ch.Message)
			}
			parts = append(parts, part{table: ct})
		}
		secs = append(secs, section{title: cand.Run.Label + " vs " + c.Baseline.Label, parts: parts})
	}
	if len(c.Notes) > 0 {
		secs = append(secs, section{title: "Notes", parts: []part{{text: bullets(c.Notes)}}})
	}
	secs = append(secs, section{title: "Method", fold: true, parts: []part{{text: methodText(c)}}})
	return secs
}

func candRefs(c *compare.Comparison) []compare.RunRef {
	out := make([]compare.RunRef, len(c.Candidates))
	for i, cand := range c.Candidates {
		out[i] = cand.Run
	}
	return out
}

func bullets(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "- " + l
	}
	return out
}

func shortMethod(m stats.Method) string {
	switch m {
	case stats.MethodZ:
		return "z-test"
	case stats.MethodFisher:
		return "Fisher exact"
	case stats.MethodMannWhitney:
		return "Mann-Whitney U"
	case stats.MethodBootstrap:
		return "bootstrap"
	}
	return "-"
}

func verdictMark(v compare.Verdict, markdown bool) string {
	if v == compare.VerdictNone {
		return "-"
	}
	if !markdown {
		return string(v)
	}
	switch v {
	case compare.VerdictWorse:
		return "🔴 worse"
	case compare.VerdictBetter:
		return "🟢 better"
	case compare.VerdictInconclusive:
		return "🟡 inconclusive"
	}
	return "⚪ " + string(v)
}

func methodText(c *compare.Comparison) []string {
	return []string{
		fmt.Sprintf("Verdicts are two-sided at %s%% confidence; the first run is the baseline.", human.Float(c.Confidence*100)),
		"Rates: two-proportion z-test, or Fisher's exact test when an expected cell count is below 5.",
		fmt.Sprintf("Latency distribution: Mann-Whitney U on the latency histograms (ties corrected); called better or worse only when a candidate request is slower or faster than a baseline one at least %s of the time.", human.Share(0.5+c.MinEffect)),
		fmt.Sprintf("p50 and p99: bootstrap percentile interval of the difference (%d resamples, seed %d); called better or worse only when the interval excludes zero and the change exceeds %s of the baseline and one histogram bucket.", c.Resamples, c.Seed, human.Share(c.LatencyTolerance)),
		"P(slower) is the probability that a candidate request is slower than a baseline one; \"bucket\" is the histogram resolution at the baseline value.",
		"Score, checks passed, longest error burst, time to recover and backend share CV are shown side by side without a test.",
		fmt.Sprintf("Inconclusive: the test found no significant difference, but the runs had fewer requests than it needs to detect, with %s power, the smallest difference that matters: %s pp of a rate, P(slower) = 0.5±%s, or for p50 and p99 the larger of %s of the baseline and one bucket; the note gives the requests per run it would take (repeat the runs to pool more).",
			human.Share(c.Power), human.Float(c.RateEffect*100), human.Float(c.MinEffect), human.Share(c.LatencyTolerance)),
		"The tests treat requests as independent; requests in one burst are not, so read verdicts on short runs with care.",
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	return nil
}
