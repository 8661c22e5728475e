package render

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
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
	Class    string
	Heading  string
	Notes    []string
	Chart    *htmlChart
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
// the first heading line (a status or verdict); chart may be nil.
func writeHTML(w io.Writer, title, class string, heading []string, secs []section, chart *htmlChart) error {
	page := htmlPage{Title: title, Class: class, Chart: chart}
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

// Chart geometry, in SVG user units.
const (
	chartWidth  = 900.0
	chartHeight = 160.0
	chartPad    = 30.0
)

// htmlChart is the run second by second: red bars for the share of failed
// requests (full height = all failed), a blue line for p99 (full height =
// the worst second), and a dashed marker with a tooltip for every fault.
type htmlChart struct {
	Width, Height float64
	// Left, Right, Ceiling and Bottom bound the plot.
	Left, Right, Ceiling, Bottom float64
	LabelY, LegendY              float64
	Seconds                      int
	Bars                         []htmlBar
	// P99 holds the points of the p99 line; empty when no second had one.
	P99 string
	// Top is the p99 at full height.
	Top    string
	Faults []htmlMarker
}

type htmlBar struct {
	X, Y, Width, Height float64
	T                   int
	Failed, Requests    uint64
}

type htmlMarker struct {
	X     float64
	Title string
}

// timelineChart lays out the chart of a run's timeline; nil without one.
func timelineChart(tl []report.Second, events []report.Event) *htmlChart {
	secs := dense(tl)
	if len(secs) == 0 {
		return nil
	}
	n := float64(len(secs))
	plotW, plotH := chartWidth-2*chartPad, chartHeight-2*chartPad
	x := func(t float64) float64 { return chartPad + t/n*plotW }
	y := func(f float64) float64 { return chartPad + (1-f)*plotH }
	var maxP99 time.Duration
	for _, s := range secs {
		maxP99 = max(maxP99, s.P99)
	}
	c := &htmlChart{
		Width: chartWidth, Height: chartHeight,
		Left: x(0), Right: x(n), Ceiling: y(1), Bottom: y(0),
		LabelY: chartHeight - 8, LegendY: chartPad - 10,
		Seconds: len(secs), Top: human.Duration(maxP99),
	}
	var pts []string
	for _, s := range secs {
		if s.Requests == 0 {
			continue
		}
		if failed := s.Requests - min(s.Successes, s.Requests); failed > 0 {
			share := float64(failed) / float64(s.Requests)
			c.Bars = append(c.Bars, htmlBar{X: x(float64(s.T)), Y: y(share), Width: plotW / n, Height: share * plotH,
				T: s.T, Failed: failed, Requests: s.Requests})
		}
		if maxP99 > 0 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(s.T)+0.5), y(float64(s.P99)/float64(maxP99))))
		}
	}
	c.P99 = strings.Join(pts, " ")
	for _, ev := range events {
		if ev.Kind == report.EventFault {
			c.Faults = append(c.Faults, htmlMarker{X: x(ev.T.Seconds()), Title: fmtOffset(ev.T) + " " + ev.Source + ": " + ev.Message})
		}
	}
	return c
}
