package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/drillkit/drill/pkg/redact"
)

// Output formats accepted by Render and RenderComparison.
const (
	FormatTable    = "table"
	FormatMarkdown = "md"
	FormatJSON     = "json"
	FormatJUnit    = "junit"
	FormatHTML     = "html"
)

// Formats lists the formats Render accepts.
var Formats = []string{FormatTable, FormatMarkdown, FormatJSON, FormatJUnit, FormatHTML}

// Render writes r to w in format: "table" (terminal), "md" (Markdown for a
// pull-request comment), "json" (the report itself), "junit" (JUnit XML
// for CI test reporting) or "html" (a standalone page with a timeline chart).
//
// The rendering is written in one piece, without credentials (see
// Report.Redactor).
func Render(w io.Writer, r *Report, format string) error {
	return writeRedacted(w, r.Redactor, func(w io.Writer) error { return render(w, r, format) })
}

// writeRedacted renders into a buffer and writes it to w in one piece, with
// the credentials red knows (and the userinfo of URLs) left out.
func writeRedacted(w io.Writer, red *redact.Redactor, render func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	if _, err := w.Write(red.Bytes(buf.Bytes())); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

func render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatTable:
		return writeText(w, verdictLines(r, false), reportSections(r, false))
	case FormatMarkdown:
		return writeMarkdown(w, verdictLines(r, true), reportSections(r, true))
	case FormatJSON:
		return Encode(w, r)
	case FormatJUnit:
		return writeJUnit(w, r)
	case FormatHTML:
		return writeHTML(w, "drill: "+r.Title(), string(r.Status), verdictLines(r, false), reportSections(r, false),
			timelineSVG(r.Summary.Timeline, sortedEvents(r.Events)))
	}
	return fmt.Errorf("render report: unknown format %q; use one of %s", format, strings.Join(Formats, ", "))
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
