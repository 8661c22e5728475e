package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatTable:
		return writeText(w, verdictLines(r, false), reportSections(r, false))
	case FormatMarkdown:
		return writeMarkdown(w, verdictLines(r, true), reportSections(r, true))
	case FormatJSON:
		return writeJSON(w, normalized(r))
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
