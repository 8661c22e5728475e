package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// section is one titled part of a rendered report or comparison. The table
// and Markdown renderers lay out the same sections, so both always show the
// same facts.
type section struct {
	title string
	// fold asks the Markdown renderer to put the section in a collapsed
	// <details> block (long, secondary material in a PR comment).
	fold bool
	// parts are shown in order.
	parts []part
}

// part is one of: key/value facts, a table, preformatted lines, text, or
// (in Markdown only) an image.
type part struct {
	facts [][2]string
	table *table
	pre   []string
	text  []string
	image *image
}

// image is a picture with its description; src is a data: URI.
type image struct {
	alt, src string
}

// table is a table of strings with per-column right alignment.
type table struct {
	header []string
	right  []bool
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func newTable(header ...string) *table {
	return &table{header: header, right: make([]bool, len(header))}
}

// alignRight marks columns as right-aligned (numbers).
func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// dropColumn removes column c (when its content is the same everywhere).
func (t *table) dropColumn(c int) {
	t.header = append(t.header[:c:c], t.header[c+1:]...)
	t.right = append(t.right[:c:c], t.right[c+1:]...)
	for i, row := range t.rows {
		if c < len(row) {
			t.rows[i] = append(row[:c:c], row[c+1:]...)
		}
	}
}

func (t *table) alignment() tw.Alignment {
	a := make(tw.Alignment, len(t.header))
	for i := range a {
		a[i] = tw.AlignLeft
		if t.right[i] {
			a[i] = tw.AlignRight
		}
	}
	return a
}

// writeText renders the sections as terminal text with box-drawn tables.
func writeText(w io.Writer, heading []string, secs []section) error {
	ew := &errWriter{w: w}
	for _, l := range heading {
		ew.printf("%s\n", l)
	}
	for _, s := range secs {
		ew.printf("\n%s\n", s.title)
		for _, p := range s.parts {
			switch {
			case p.facts != nil:
				width := 0
				for _, f := range p.facts {
					width = max(width, len(f[0]))
				}
				for _, f := range p.facts {
					ew.printf("  %-*s  %s\n", width+1, f[0]+":", f[1])
				}
			case p.table != nil:
				if ew.err == nil {
					ew.err = renderTable(ew.w, p.table, renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)}), false)
				}
			case p.pre != nil:
				for _, l := range p.pre {
					ew.printf("  %s\n", l)
				}
			case p.text != nil:
				for _, l := range p.text {
					ew.printf("  %s\n", l)
				}
			}
		}
	}
	return ew.err
}

// writeMarkdown renders the sections as GitHub-flavoured Markdown.
func writeMarkdown(w io.Writer, heading []string, secs []section) error {
	ew := &errWriter{w: w}
	for _, l := range heading {
		ew.printf("%s\n\n", l)
	}
	for _, s := range secs {
		if s.fold {
			ew.printf("<details><summary><b>%s</b></summary>\n\n", htmlEscape(s.title))
		} else {
			ew.printf("#### %s\n\n", mdEscape(s.title))
		}
		for _, p := range s.parts {
			switch {
			case p.facts != nil:
				for _, f := range p.facts {
					ew.printf("- **%s:** %s\n", mdEscape(f[0]), mdEscape(f[1]))
				}
				ew.printf("\n")
			case p.table != nil:
				if ew.err == nil {
					ew.err = renderTable(ew.w, p.table, renderer.NewMarkdown(), true)
				}
				ew.printf("\n")
			case p.pre != nil:
				// A fence inside the text would end the block early.
				body := strings.ReplaceAll(strings.Join(p.pre, "\n"), "```", "'''")
				ew.printf("```\n%s\n```\n\n", body)
			case p.text != nil:
				for _, l := range p.text {
					ew.printf("%s\n", mdEscape(l))
				}
				ew.printf("\n")
			case p.image != nil:
				ew.printf("<img alt=\"%s\" src=\"%s\">\n\n", htmlEscape(p.image.alt), htmlEscape(p.image.src))
			}
		}
		if s.fold {
			ew.printf("</details>\n\n")
		}
	}
	return ew.err
}

// textColumnMax is the widest a column of a terminal table gets; longer
// cells (explanations, messages) wrap at word boundaries.
const textColumnMax = 64

func renderTable(w io.Writer, t *table, r tw.Renderer, markdown bool) error {
	opts := []tablewriter.Option{
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithAlignment(t.alignment()),
	}
	if markdown {
		// A Markdown table row must stay on one line.
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNone))
	} else {
		opts = append(opts, tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithRowMaxWidth(textColumnMax))
	}
	tb := tablewriter.NewTable(w, opts...)
	esc := func(s string) string { return s }
	if markdown {
		esc = mdCell
	}
	header := make([]any, len(t.header))
	for i, h := range t.header {
		header[i] = esc(h)
	}
	tb.Header(header...)
	for _, row := range t.rows {
		cells := make([]any, len(t.header))
		for i := range cells {
			cells[i] = ""
			if i < len(row) {
				cells[i] = esc(row[i])
			}
		}
		if err := tb.Append(cells...); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
	if err := tb.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return mdEscape(s)
}

// mdEscape escapes the characters that would change the meaning of plain
// text in GitHub Markdown.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`,
)

func mdEscape(s string) string { return mdReplacer.Replace(s) }

var htmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func htmlEscape(s string) string { return htmlReplacer.Replace(s) }

// errWriter keeps the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
