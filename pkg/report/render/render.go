// Package render turns a report, or a comparison of reports, into terminal
// tables, Markdown, JUnit XML, JSON or a standalone HTML page. Every
// rendering is made from the document alone, so saved runs render offline.
package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/report"
)

// Output formats accepted by Report and Comparison.
const (
	FormatTable    = "table"
	FormatMarkdown = "md"
	FormatJSON     = "json"
	FormatJUnit    = "junit"
	FormatHTML     = "html"
)

// Formats lists the formats Report accepts.
var Formats = []string{FormatTable, FormatMarkdown, FormatJSON, FormatJUnit, FormatHTML}

// Report writes r to w in format: "table" (terminal), "md" (Markdown for a
// pull-request comment), "json" (the report itself), "junit" (JUnit XML
// for CI test reporting) or "html" (one self-contained page with charts).
//
// The rendering is written in one piece, without credentials (see
// Report.Redactor).
func Report(w io.Writer, r *report.Report, format string) error {
	return writeRedacted(w, r.Redactor, format == FormatHTML, func(w io.Writer) error { return renderReport(w, r, format) })
}

// writeRedacted renders into a buffer and writes it to w in one piece, with
// the credentials red knows (and the userinfo of URLs) left out; an HTML
// page gets its chart library after that.
func writeRedacted(w io.Writer, red *redact.Redactor, html bool, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	out := red.Bytes(buf.Bytes())
	if html {
		out = withChartLib(out)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

func renderReport(w io.Writer, r *report.Report, format string) error {
	switch format {
	case FormatTable:
		return writeText(w, verdictLines(r, false), reportSections(r, false))
	case FormatMarkdown:
		return writeMarkdown(w, verdictLines(r, true), reportSections(r, true))
	case FormatJSON:
		return report.Encode(w, r)
	case FormatJUnit:
		return writeJUnit(w, r)
	case FormatHTML:
		var charts any
		if d := chartDataOf(r); d != nil {
			charts = d
		}
		return writeHTML(w, "drill: "+r.Title(), string(r.Status), verdictLines(r, false), reportSections(r, false), charts)
	}
	return fmt.Errorf("render report: unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
}
