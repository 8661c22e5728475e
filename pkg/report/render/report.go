package render

import (
	"fmt"
	"strings"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// statusMark returns the verdict word for a status, with an emoji in
// Markdown where it makes a PR comment scannable.
func statusMark(s report.Status, markdown bool) string {
	word := strings.ToUpper(string(s))
	if word == "" {
		word = "UNKNOWN"
	}
	if !markdown {
		return word
	}
	switch s {
	case report.StatusPassed:
		return "✅ " + word
	case report.StatusFailed:
		return "❌ " + word
	case report.StatusAborted:
		return "🛑 " + word
	case report.StatusUnjudged:
		return "⚪ " + word
	default:
		return "⚠️ " + word
	}
}

// verdictLines are the first lines of a rendered report: status, name,
// score, then why the run stopped early if it did.
func verdictLines(r *report.Report, markdown bool) []string {
	score := scoreText(r.Score)
	var lines []string
	if markdown {
		lines = append(lines, fmt.Sprintf("### %s: %s, %s", statusMark(r.Status, true), mdEscape(r.Title()), score))
	} else {
		lines = append(lines, fmt.Sprintf("%s  %s  %s", statusMark(r.Status, false), r.Title(), score))
	}
	var extra []string
	if r.Status == report.StatusUnjudged {
		e := "No checks: nothing judged"
		if r.ExitCode == report.ExitChecksFailed {
			e += "; the run was required to have checks (--require-checks)"
		}
		extra = append(extra, e)
	}
	if r.Abort != nil {
		extra = append(extra, fmt.Sprintf("Aborted at t=%ds: %s", r.Abort.AtT, r.Abort.Expr)+suffix(r.Abort.Message))
	}
	if r.Incomplete {
		extra = append(extra, "Incomplete"+suffix(r.IncompleteReason))
	}
	for _, e := range extra {
		if markdown {
			e = "**" + mdEscape(e) + "**"
		}
		lines = append(lines, e)
	}
	return lines
}

// scoreText is the score as the verdict line shows it.
func scoreText(sc report.Score) string {
	s := fmt.Sprintf("score %.1f/100", sc.Total)
	if sc.Partial {
		s += fmt.Sprintf(" (partial: %s of the planned run)", human.Share(sc.Coverage))
	}
	return s
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

// reportSections lays out a report; table and Markdown render the same
// sections.
func reportSections(r *report.Report, markdown bool) []section {
	sorted := *r
	sorted.Events = sortedEvents(r.Events)
	r = &sorted
	s := r.Summary
	secs := []section{
		{title: "Checks", parts: []part{checksPart(r, markdown)}},
		{title: "Run", parts: []part{{facts: runFacts(r)}}},
	}
	if len(r.Trials) > 0 {
		secs = append(secs, section{title: "Trials", parts: []part{{table: trialsTable(r.Trials)}}})
	}
	secs = append(secs,
		section{title: "Score", parts: []part{{table: scoreTable(r.Score)}}},
		section{title: "Requests", parts: requestParts(s)})
	if s.Requests > 0 {
		secs = append(secs, section{title: "Latency", parts: []part{{table: latencyTable(s)}}})
	}
	if len(s.Timeline) > 0 {
		tl := []part{{pre: sparklines(s.Timeline)}}
		if svg := timelineSVG(s.Timeline, r.Events, s.Bursts); markdown && svg != nil {
			tl = append([]part{{image: &image{alt: chartAlt(r), src: svgDataURI(svg)}}}, tl...)
		}
		secs = append(secs, section{title: "Timeline", parts: tl})
		secs = append(secs, section{title: "Timeline by window", fold: true, parts: []part{{table: timelineTable(s.Timeline)}}})
	}
	if lines := conntrackLines(r.Conntrack, len(dense(s.Timeline))); lines != nil {
		secs = append(secs, section{title: "Conntrack", parts: []part{{pre: lines}}})
	}
	if s.Requests > 0 {
		secs = append(secs, section{title: "Error bursts", parts: burstParts(r)})
		if around := burstEvents(r); around != nil {
			secs = append(secs, section{title: "Events around each burst", fold: true, parts: []part{{pre: around}}})
		}
	}
	if r.Causes != nil {
		secs = append(secs, section{title: "Causes", parts: causeParts(r.Causes)})
	}
	if r.Lifecycle != nil {
		secs = append(secs, section{title: "Lifecycle", parts: lifecycleParts(r.Lifecycle)})
	}
	if len(s.Backends) > 0 {
		secs = append(secs, section{title: "Backends", parts: backendParts(s)})
	}
	if bt := backendTable(s.Timeline); bt != nil {
		secs = append(secs, section{title: "Backends by window", fold: true, parts: []part{{table: bt}}})
	}
	if len(r.Events) > 0 {
		secs = append(secs, section{title: "Events", fold: true, parts: eventParts(r.Events)})
	}
	return secs
}

func runFacts(r *report.Report) [][2]string {
	target := string(r.Target.Kind)
	if r.Target.URL != "" {
		target += " " + r.Target.URL
	}
	if len(r.Target.Details) > 0 {
		target += " (" + fmtKV(r.Target.Details) + ")"
	}
	facts := [][2]string{{"Scenario", r.Scenario.Name}}
	if r.Scenario.File != "" {
		facts[0][1] += " (" + r.Scenario.File + ")"
	}
	if r.Variant != "" {
		facts = append(facts, [2]string{"Variant", r.Variant})
	}
	facts = append(facts,
		[2]string{"Target", target},
		[2]string{"Started", fmtTime(r.StartedAt)},
		[2]string{"Duration", human.Duration(r.Duration())},
		[2]string{"Load", loadLine(r.Summary)},
		[2]string{"Exit code", fmt.Sprint(r.ExitCode)},
	)
	for _, n := range r.Target.Notes {
		facts = append(facts, [2]string{"Target note", n})
	}
	for _, n := range r.Environment.Notes {
		facts = append(facts, [2]string{"Note", n})
	}
	if h := hostLine(r.Environment.Host); h != "" {
		facts = append(facts, [2]string{"Host", h})
	}
	if r.DrillVersion != "" {
		facts = append(facts, [2]string{"drill", r.DrillVersion})
	}
	if r.ResultsFile != "" {
		facts = append(facts, [2]string{"Raw results", r.ResultsFile})
	}
	return facts
}

func loadLine(s report.Summary) string {
	line := fmt.Sprintf("%d requests, rate %s/s, throughput %s/s", s.Requests, human.Float(s.Rate), human.Float(s.Throughput))
	if s.Requests > 0 {
		line += ", success " + human.Rate(float64(s.Successes)/float64(s.Requests))
	}
	return line
}

func hostLine(h report.Host) string {
	var parts []string
	if h.Hostname != "" {
		parts = append(parts, h.Hostname)
	}
	if h.OS != "" || h.Arch != "" {
		parts = append(parts, strings.Trim(h.OS+"/"+h.Arch, "/"))
	}
	if h.Kernel != "" {
		parts = append(parts, "kernel "+h.Kernel)
	}
	if h.CPUs > 0 {
		parts = append(parts, fmt.Sprintf("%d CPUs", h.CPUs))
	}
	if h.GoVersion != "" {
		parts = append(parts, h.GoVersion)
	}
	return strings.Join(parts, ", ")
}

func checkMark(c report.CheckResult, markdown bool) string {
	switch {
	case c.NoData && markdown:
		return "❌ no data"
	case c.NoData:
		return "NO DATA"
	case c.Passed && markdown:
		return "✅ pass"
	case c.Passed:
		return "PASS"
	case markdown:
		return "❌ fail"
	default:
		return "FAIL"
	}
}

func checksPart(r *report.Report, markdown bool) part {
	if len(r.Checks) == 0 && r.Abort == nil {
		return part{text: []string{"No checks defined: nothing judged."}}
	}
	t := newTable("result", "check", "actual", "message")
	for _, c := range r.Checks {
		t.add(checkMark(c, markdown), c.Expr, c.Actual, c.Message)
	}
	if a := r.Abort; a != nil {
		mark := "ABORT"
		if markdown {
			mark = "🛑 abort"
		}
		t.add(mark, "abortWhen: "+a.Expr, fmt.Sprintf("fired at t=%ds", a.AtT), a.Message)
	}
	return part{table: t}
}

// trialsTable shows each trial of a pooled report.
func trialsTable(ts []report.Trial) *table {
	t := newTable("trial", "status", "requests", "failed", "error rate", "p50", "p99", "checks", "score", "exit").alignRight(2, 3, 4, 5, 6, 8, 9)
	for _, x := range ts {
		status := string(x.Status)
		if x.Incomplete {
			status += " (incomplete)"
		}
		failed := x.Requests - min(x.Successes, x.Requests)
		rate := "-"
		if x.Requests > 0 {
			rate = human.Rate(float64(failed) / float64(x.Requests))
		}
		t.add(x.Dir, status, fmt.Sprint(x.Requests), fmt.Sprint(failed), rate, human.Duration(x.P50), human.Duration(x.P99),
			fmt.Sprintf("%d/%d", x.ChecksPassed, x.Checks), fmt.Sprintf("%.1f", x.Score), fmt.Sprint(x.ExitCode))
	}
	return t
}

func scoreTable(sc report.Score) *table {
	t := newTable("component", "weight", "value", "points", "how").alignRight(1, 2, 3)
	for _, c := range sc.Components {
		t.add(c.Name, human.Float(c.Weight), fmt.Sprintf("%.3f", c.Value), fmt.Sprintf("%.1f", c.Points), c.Explanation)
	}
	if sc.Partial {
		t.add("total", "100", fmt.Sprintf("%.3f", sc.Coverage), fmt.Sprintf("%.1f", sc.Total), sc.PartialReason)
	} else {
		t.add("total", "100", "", fmt.Sprintf("%.1f", sc.Total), "")
	}
	return t
}

func requestParts(s report.Summary) []part {
	if s.Requests == 0 {
		return []part{{text: []string{"No requests were made."}}}
	}
	codes := newTable("status code", "count", "share").alignRight(1, 2)
	for _, c := range sortedKeys(s.Codes) {
		label := c
		if c == "0" {
			label = "0 (no response)"
		}
		codes.add(label, fmt.Sprint(s.Codes[c]), human.Share(float64(s.Codes[c])/float64(s.Requests)))
	}
	parts := []part{{table: codes}}
	if len(s.Errors) > 0 {
		errs := newTable("error class", "count", "share").alignRight(1, 2)
		for _, c := range sortedKeys(s.Errors) {
			errs.add(c, fmt.Sprint(s.Errors[c]), human.Share(float64(s.Errors[c])/float64(s.Requests)))
		}
		parts = append(parts, part{table: errs})
	}
	parts = append(parts, errorSetParts(s)...)
	if len(s.ByName) > 1 {
		parts = append(parts, part{table: byNameTable(s.ByName)})
	}
	return parts
}

// maxErrorRows is how many distinct error messages a rendering lists.
const maxErrorRows = 10

// errorSetParts lists the most frequent error messages.
func errorSetParts(s report.Summary) []part {
	if len(s.ErrorSet) == 0 {
		return nil
	}
	t := newTable("error message", "count", "share").alignRight(1, 2)
	shown := s.ErrorSet[:min(len(s.ErrorSet), maxErrorRows)]
	for _, e := range shown {
		t.add(e.Message, fmt.Sprint(e.Count), human.Share(float64(e.Count)/float64(s.Requests)))
	}
	parts := []part{{table: t}}
	if more := len(s.ErrorSet) - len(shown); more > 0 {
		parts = append(parts, part{text: []string{fmt.Sprintf("%d more error messages are in report.json.", more)}})
	}
	return parts
}

// byNameTable breaks the requests down by the scenario's request names.
func byNameTable(names []report.NamedRequests) *table {
	t := newTable("request", "requests", "success", "p50", "p99").alignRight(1, 2, 3, 4)
	for _, n := range names {
		success := "-"
		if n.Requests > 0 {
			success = human.Rate(float64(n.Successes) / float64(n.Requests))
		}
		t.add(n.Name, fmt.Sprint(n.Requests), success, human.Duration(n.P50), human.Duration(n.P99))
	}
	return t
}

func latencyTable(s report.Summary) *table {
	l := s.Latency
	t := newTable("mean", "p50", "p90", "p95", "p99", "p99.9", "max").alignRight(0, 1, 2, 3, 4, 5, 6)
	t.add(human.Duration(l.Mean), human.Duration(l.P50), human.Duration(l.P90), human.Duration(l.P95), human.Duration(l.P99), human.Duration(l.P999), human.Duration(l.Max))
	return t
}

// Limits that keep a rendering readable (and a PR comment under GitHub's
// size limit) however long or eventful the run; report.json keeps it all.
const (
	maxBurstRows      = 50
	maxEventsPerBurst = 20
	maxEventRows      = 200
)

func burstParts(r *report.Report) []part {
	bs := r.Summary.Bursts
	if len(bs) == 0 {
		return []part{{text: []string{"No error bursts: no second had a failed request."}}}
	}
	t := newTable("#", "window", "length", "failed", "recovered after", "causes").alignRight(0, 2, 3)
	shown := bs[:min(len(bs), maxBurstRows)]
	for i, b := range shown {
		rec := human.Duration(b.Recovery)
		if b.Recovery == 0 {
			rec = "not before the end"
		}
		t.add(fmt.Sprint(i+1), fmt.Sprintf("t=%ds..%ds", b.StartT, b.EndT), human.Duration(b.Length()), fmt.Sprint(b.Failures), rec, burstCauses(r.Causes, b))
	}
	if r.Causes == nil {
		t.dropColumn(5)
	}
	parts := []part{{table: t}}
	if len(bs) > len(shown) {
		parts = append(parts, part{text: []string{fmt.Sprintf("%d more bursts are in report.json.", len(bs)-len(shown))}})
	}
	return parts
}

// burstEvents lists, for each burst shown, the events around it; nil
// without bursts or events.
func burstEvents(r *report.Report) []string {
	bs := r.Summary.Bursts
	shown := bs[:min(len(bs), maxBurstRows)]
	events := notSamples(r.Events)
	if len(events) == 0 || len(shown) == 0 {
		return nil
	}
	var lines []string
	for i, b := range shown {
		around := eventsAround(events, b)
		head := fmt.Sprintf("Burst %d (t=%ds..%ds), events from %s before to %s after:", i+1, b.StartT, b.EndT, human.Duration(BurstContextBefore), human.Duration(BurstContextAfter))
		if len(around) == 0 {
			lines = append(lines, head+" none")
			continue
		}
		lines = append(lines, head)
		for _, e := range around[:min(len(around), maxEventsPerBurst)] {
			lines = append(lines, "  "+eventLine(e))
		}
		if len(around) > maxEventsPerBurst {
			lines = append(lines, fmt.Sprintf("  ... %d more", len(around)-maxEventsPerBurst))
		}
	}
	return lines
}

// maxAltFaults is how many fault times the chart's description names.
const maxAltFaults = 10

// chartAlt describes the Markdown chart for readers (and viewers that do
// not show data: images).
func chartAlt(r *report.Report) string {
	alt := fmt.Sprintf("failed share and p99 per second over %ds", len(dense(r.Summary.Timeline)))
	var faults []string
	for _, e := range r.Events {
		if e.Kind == report.EventFault {
			faults = append(faults, fmtOffset(e.T))
		}
	}
	if len(faults) > maxAltFaults {
		faults = append(faults[:maxAltFaults], fmt.Sprintf("%d more", len(faults)-maxAltFaults))
	}
	if len(faults) > 0 {
		alt += "; faults at " + strings.Join(faults, ", ")
	}
	if n := len(r.Summary.Bursts); n > 0 {
		alt += fmt.Sprintf("; %d error burst(s)", n)
	}
	return alt
}

// notSamples leaves out sample events: samplers emit one per interval, which
// would drown the faults and state changes a reader is looking for.
func notSamples(events []report.Event) []report.Event {
	var out []report.Event
	for _, e := range events {
		if e.Kind != report.EventSample {
			out = append(out, e)
		}
	}
	return out
}

func eventLine(e report.Event) string {
	line := fmt.Sprintf("%-8s %-8s %s: %s", fmtOffset(e.T), e.Kind, e.Source, e.Message)
	if d := e.Details(); len(d) > 0 {
		line += " (" + fmtKV(d) + ")"
	}
	return line
}

func backendParts(s report.Summary) []part {
	t := newTable("backend", "requests", "share").alignRight(1, 2)
	for _, b := range s.Backends {
		t.add(b.Name, fmt.Sprint(b.Requests), human.Share(b.Share))
	}
	parts := []part{{table: t}}
	if cv, ok := s.Value("backend_share_cv"); ok && len(s.Backends) > 1 {
		parts = append(parts, part{text: []string{fmt.Sprintf("Share spread (coefficient of variation): %.3f; 0 is perfectly even.", cv)}})
	}
	return parts
}

func eventParts(events []report.Event) []part {
	shown := notSamples(events)
	samples := len(events) - len(shown)
	more := 0
	if len(shown) > maxEventRows {
		more = len(shown) - maxEventRows
		shown = shown[:maxEventRows]
	}
	t := newTable("t", "kind", "source", "message").alignRight(0)
	for _, e := range shown {
		msg := e.Message
		if d := e.Details(); len(d) > 0 {
			msg += " (" + fmtKV(d) + ")"
		}
		t.add(fmtOffset(e.T), string(e.Kind), e.Source, msg)
	}
	parts := []part{{table: t}}
	var notes []string
	if more > 0 {
		notes = append(notes, fmt.Sprintf("%d more events are in report.json.", more))
	}
	if samples > 0 {
		notes = append(notes, fmt.Sprintf("%d sample events are in report.json.", samples))
	}
	if notes != nil {
		parts = append(parts, part{text: notes})
	}
	return parts
}
