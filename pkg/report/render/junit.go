package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// JUnit XML, as read by GitHub Actions test reporters, GitLab, Jenkins and
// the like: one testsuite per run, one testcase per check, a failing
// testcase for an abort and an erroring one when the run itself failed.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

func writeJUnit(w io.Writer, r *report.Report) error {
	suite := junitSuiteOf(r)
	doc := junitSuites{
		Name: "drill", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("render junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("render junit: %w", err)
	}
	return nil
}

func junitSuiteOf(r *report.Report) junitSuite {
	class := "drill." + strings.ReplaceAll(r.Scenario.Name, " ", "_")
	if r.Variant != "" {
		class += "[" + r.Variant + "]"
	}
	s := junitSuite{
		Name:     r.Title(),
		Time:     fmt.Sprintf("%.3f", r.Duration().Seconds()),
		Hostname: r.Environment.Host.Hostname,
	}
	if !r.StartedAt.IsZero() {
		s.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	sum := r.Summary
	props := [][2]string{
		{"drill.version", r.DrillVersion},
		{"scenario.file", r.Scenario.File},
		{"variant", r.Variant},
		{"target.kind", string(r.Target.Kind)},
		{"target.url", r.Target.URL},
		{"status", string(r.Status)},
		{"exitCode", fmt.Sprint(r.ExitCode)},
		{"score", human.Float(r.Score.Total)},
		{"requests", fmt.Sprint(sum.Requests)},
		{"p99", human.Duration(sum.Latency.P99)},
	}
	if sum.Requests > 0 {
		props = append(props, [2]string{"successRate", human.Rate(float64(sum.Successes) / float64(sum.Requests))})
	}
	for _, p := range props {
		if p[1] != "" {
			s.Properties = append(s.Properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}

	// The run itself: errors when drill could not carry it out.
	run := junitCase{Name: "run", Classname: class, Time: s.Time}
	if r.Status == report.StatusError {
		msg := "the run could not be carried out"
		if r.IncompleteReason != "" {
			msg = r.IncompleteReason
		}
		run.Error = &junitProblem{Message: msg, Type: "error", Text: msg}
	}
	s.Cases = append(s.Cases, run)

	for _, c := range r.Checks {
		tc := junitCase{Name: c.Expr, Classname: class, Time: "0.000"}
		switch {
		case c.NoData:
			msg := "no data for " + c.Metric + ": a check that could not measure does not pass"
			tc.Failure = &junitProblem{Message: msg, Type: "no-data", Text: msg + suffix(c.Message)}
		case !c.Passed:
			msg := fmt.Sprintf("%s is %s, want %s %s", c.Metric, c.Actual, c.Op, c.Threshold)
			text := msg
			if c.Message != "" {
				text += "\n" + c.Message
			}
			tc.Failure = &junitProblem{Message: msg, Type: "check", Text: text}
		}
		s.Cases = append(s.Cases, tc)
	}
	if len(r.Checks) == 0 && r.Status == report.StatusUnjudged {
		// Nothing was judged: say so, as a failure when checks were required.
		tc := junitCase{Name: "checks", Classname: class, Time: "0.000"}
		if r.ExitCode == report.ExitChecksFailed {
			msg := report.NoChecksReason + "; the run was required to have checks"
			tc.Failure = &junitProblem{Message: msg, Type: "no-checks", Text: msg}
		} else {
			tc.Skipped = &junitSkipped{Message: report.NoChecksReason}
		}
		s.Cases = append(s.Cases, tc)
	}
	if a := r.Abort; a != nil {
		msg := fmt.Sprintf("abortWhen %s fired at t=%ds", a.Expr, a.AtT)
		text := msg
		if a.Message != "" {
			text += "\n" + a.Message
		}
		s.Cases = append(s.Cases, junitCase{
			Name: "abort: " + a.Expr, Classname: class, Time: "0.000",
			Failure: &junitProblem{Message: msg, Type: "abort", Text: text},
		})
	}
	for _, tc := range s.Cases {
		s.Tests++
		switch {
		case tc.Error != nil:
			s.Errors++
		case tc.Failure != nil:
			s.Failures++
		case tc.Skipped != nil:
			s.Skipped++
		}
	}
	var out strings.Builder
	for _, l := range verdictLines(r, false) {
		out.WriteString(l + "\n")
	}
	for _, c := range r.Score.Components {
		fmt.Fprintf(&out, "%s: %.1f/%s (%s)\n", c.Name, c.Points, human.Float(c.Weight), c.Explanation)
	}
	if r.Score.Partial {
		fmt.Fprintf(&out, "partial score: %s\n", r.Score.PartialReason)
	}
	for _, e := range sum.ErrorSet[:min(len(sum.ErrorSet), maxErrorRows)] {
		fmt.Fprintf(&out, "error %d×: %s\n", e.Count, e.Message)
	}
	if more := len(sum.ErrorSet) - maxErrorRows; more > 0 {
		fmt.Fprintf(&out, "%d more error messages are in report.json\n", more)
	}
	if len(sum.ByName) > 1 {
		for _, n := range sum.ByName {
			fmt.Fprintf(&out, "request %s: %d requests, %d succeeded, p50 %s, p99 %s\n", n.Name, n.Requests, n.Successes, human.Duration(n.P50), human.Duration(n.P99))
		}
	}
	s.SystemOut = &junitText{Text: out.String()}
	return s
}
