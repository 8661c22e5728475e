package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// pageTemplate lays out a standalone HTML page, self-contained so that it is
// one file to attach to a CI run; html/template escapes everything the page
// shows from a report.
//
//go:embed page.html.tmpl
var pageTemplate string

var pageTemplates = template.Must(template.New("page").Funcs(template.FuncMap{
	"f0": func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"f1": func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).Parse(pageTemplate))

// htmlPage is what the page template shows.
type htmlPage struct {
	Title string
	// Class colours the heading (a status or verdict).
	Class   string
	Heading string
	Notes   []string
	// Charts is what the charts draw (chartData or comparisonChartData),
	// encoded as JSON by the template; nil for a page without charts.
	Charts   any
	Sections []htmlSection
}

type htmlSection struct {
	Title string
	Fold  bool
	Parts []htmlPart
}

// htmlPart is one of: key/value facts, a table, preformatted text, or
// paragraphs.
type htmlPart struct {
	Facts [][2]string
	Table *htmlTable
	Pre   string
	Text  []string
}

type htmlTable struct {
	Header []htmlCell
	Rows   [][]htmlCell
}

type htmlCell struct {
	Text  string
	Right bool
}

// writeHTML renders the sections as a standalone HTML page. class colours
// the first heading line (a status or verdict); charts is the data of the
// page's charts, nil for none. The page holds chartLibMark where the chart
// library goes (see withChartLib).
func writeHTML(w io.Writer, title, class string, heading []string, secs []section, charts any) error {
	page := htmlPage{Title: title, Class: class, Charts: charts}
	if len(heading) > 0 {
		page.Heading, page.Notes = heading[0], heading[1:]
	}
	for _, s := range secs {
		hs := htmlSection{Title: s.title, Fold: s.fold}
		for _, p := range s.parts {
			hs.Parts = append(hs.Parts, htmlPart{Facts: p.facts, Table: htmlTableOf(p.table), Pre: strings.Join(p.pre, "\n"), Text: p.text})
		}
		page.Sections = append(page.Sections, hs)
	}
	if err := pageTemplates.ExecuteTemplate(w, "page", page); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

func htmlTableOf(t *table) *htmlTable {
	if t == nil {
		return nil
	}
	cell := func(row []string, i int) htmlCell {
		c := htmlCell{Right: i < len(t.right) && t.right[i]}
		if i < len(row) {
			c.Text = row[i]
		}
		return c
	}
	ht := &htmlTable{}
	for i := range t.header {
		ht.Header = append(ht.Header, cell(t.header, i))
	}
	for _, row := range t.rows {
		cells := make([]htmlCell, len(t.header))
		for i := range cells {
			cells[i] = cell(row, i)
		}
		ht.Rows = append(ht.Rows, cells)
	}
	return ht
}
