package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/compare"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

func TestComparisonGolden(t *testing.T) {
	base := reporttest.Variant("preStopSleep=0s", 31, 38, 30, 1)
	base.Environment.Notes = nil
	fixed := reporttest.Variant("preStopSleep=30s", 0, 0, 0, 1)
	fixed.Environment.Notes = nil
	slower := reporttest.Variant("preStopSleep=30s,slow", 0, 0, 0, 1.5)
	slower.Environment.Notes = nil
	c := compare.Runs([]*report.Report{base, fixed, slower}, compare.Options{})
	for _, format := range ComparisonFormats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Comparison(&buf, c, format); err != nil {
				t.Fatal(err)
			}
			ext := map[string]string{FormatTable: "txt", FormatMarkdown: "md", FormatJSON: "json", FormatHTML: "html"}[format]
			reporttest.Golden(t, "compare."+ext+".golden", withoutChartLib(t, format, buf.Bytes()))
		})
	}
	if err := Comparison(&bytes.Buffer{}, c, "junit"); err == nil || !strings.Contains(err.Error(), "table, md, json, html") {
		t.Errorf("junit comparison: err = %v, want the formats listed", err)
	}
}

// A comparison with a run that has no data renders in every format.
func TestComparisonWithoutData(t *testing.T) {
	empty := &report.Report{Schema: report.Schema, Scenario: report.ScenarioInfo{Name: "empty"}, Status: report.StatusError, StartedAt: time.Unix(0, 0)}
	c := compare.Runs([]*report.Report{reporttest.Variant("a", 0, 0, 0, 1), empty}, compare.Options{})
	for _, format := range ComparisonFormats {
		var buf bytes.Buffer
		if err := Comparison(&buf, c, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !strings.Contains(buf.String(), "empty") {
			t.Errorf("%s rendering does not name the run without data:\n%s", format, buf.String())
		}
	}
}

// An inconclusive verdict is named in the heading, marked in Markdown and
// carries the requests it would take in its note.
func TestComparisonInconclusive(t *testing.T) {
	a := reporttest.Variant("a", 31, 38, 30, 1)
	b := reporttest.Variant("b", 31, 38, 30, 1)
	c := compare.Runs([]*report.Report{a, b}, compare.Options{})
	for format, want := range map[string][]string{
		FormatTable:    {"Inconclusive (too few requests to tell): rolling-update-prestop [b]: error rate", "inconclusive", "needs ≥ 537,487 requests per run"},
		FormatMarkdown: {"🟡 inconclusive", "needs ≥ 537,487 requests per run"},
		FormatJSON:     {`"verdict": "inconclusive"`, `"needed": 537487`, `"power": 0.8`},
	} {
		var buf bytes.Buffer
		if err := Comparison(&buf, c, format); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s rendering lacks %q:\n%s", format, w, buf.String())
			}
		}
	}
}
