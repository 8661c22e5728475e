package render

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// htmlStyle keeps the page self-contained: one file to attach to a CI run.
const htmlStyle = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:75em;padding:0 1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}
td.r,th.r{text-align:right}th{background:#f4f4f4}pre{background:#f7f7f7;padding:.6em;overflow-x:auto}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dt{font-weight:600}dd{margin:0}
.passed{color:#1a7f37}.unjudged{color:#57606a}.failed,.worse{color:#cf222e}.aborted{color:#bc4c00}.error{color:#9a6700}.better{color:#1a7f37}
.note{font-weight:600}svg{border:1px solid #ddd;background:#fff}`

// writeHTML renders the sections as a standalone HTML page. class colours
// the first heading line (a status or verdict).
func writeHTML(w io.Writer, title, class string, heading []string, secs []section, chart string) error {
	ew := &errWriter{w: w}
	e := html.EscapeString
	ew.printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n", e(title), htmlStyle)
	for i, l := range heading {
		if i == 0 {
			ew.printf("<h1 class=\"%s\">%s</h1>\n", e(class), e(l))
		} else {
			ew.printf("<p class=\"note\">%s</p>\n", e(l))
		}
	}
	if chart != "" {
		ew.printf("%s\n", chart)
	}
	for _, s := range secs {
		if s.fold {
			ew.printf("<details>\n<summary><h2 style=\"display:inline\">%s</h2></summary>\n", e(s.title))
		} else {
			ew.printf("<h2>%s</h2>\n", e(s.title))
		}
		for _, p := range s.parts {
			switch {
			case p.facts != nil:
				ew.printf("<dl>\n")
				for _, f := range p.facts {
					ew.printf("<dt>%s</dt><dd>%s</dd>\n", e(f[0]), e(f[1]))
				}
				ew.printf("</dl>\n")
			case p.table != nil:
				writeHTMLTable(ew, p.table)
			case p.pre != nil:
				ew.printf("<pre>%s</pre>\n", e(strings.Join(p.pre, "\n")))
			case p.text != nil:
				for _, l := range p.text {
					ew.printf("<p>%s</p>\n", e(l))
				}
			}
		}
		if s.fold {
			ew.printf("</details>\n")
		}
	}
	ew.printf("</body>\n</html>\n")
	return ew.err
}

func writeHTMLTable(ew *errWriter, t *table) {
	e := html.EscapeString
	class := func(i int) string {
		if i < len(t.right) && t.right[i] {
			return ` class="r"`
		}
		return ""
	}
	ew.printf("<table>\n<tr>")
	for i, h := range t.header {
		ew.printf("<th%s>%s</th>", class(i), e(h))
	}
	ew.printf("</tr>\n")
	for _, row := range t.rows {
		ew.printf("<tr>")
		for i := range t.header {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			ew.printf("<td%s>%s</td>", class(i), e(cell))
		}
		ew.printf("</tr>\n")
	}
	ew.printf("</table>\n")
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 900.0
	chartHeight = 160.0
	chartPad    = 30.0
)

// timelineSVG draws the run second by second: red bars for the share of
// failed requests (full height = all failed), a blue line for p99 (full
// height = the worst second), and a dashed marker with a tooltip for every
// fault event.
func timelineSVG(tl []report.Second, events []report.Event) string {
	secs := dense(tl)
	if len(secs) == 0 {
		return ""
	}
	n := float64(len(secs))
	plotW, plotH := chartWidth-2*chartPad, chartHeight-2*chartPad
	x := func(t float64) float64 { return chartPad + t/n*plotW }
	y := func(f float64) float64 { return chartPad + (1-f)*plotH }
	var maxP99 time.Duration
	for _, s := range secs {
		maxP99 = max(maxP99, s.P99)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="failed share and p99 per second">`,
		chartWidth, chartHeight, chartWidth, chartHeight)
	b.WriteString("\n")
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`+"\n", x(0), y(0), x(n), y(0))
	barW := plotW / n
	for _, s := range secs {
		if s.Requests == 0 {
			continue
		}
		failed := s.Requests - min(s.Successes, s.Requests)
		if failed == 0 {
			continue
		}
		share := float64(failed) / float64(s.Requests)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#cf222e" opacity="0.7"><title>t=%ds: %d of %d failed</title></rect>`+"\n",
			x(float64(s.T)), y(share), barW, share*plotH, s.T, failed, s.Requests)
	}
	if maxP99 > 0 {
		var pts []string
		for _, s := range secs {
			if s.Requests == 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(s.T)+0.5), y(float64(s.P99)/float64(maxP99))))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0969da" stroke-width="1.5"><title>p99 per second (top = %s)</title></polyline>`+"\n",
			strings.Join(pts, " "), html.EscapeString(human.Duration(maxP99)))
	}
	for _, ev := range events {
		if ev.Kind != report.EventFault {
			continue
		}
		at := x(ev.T.Seconds())
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555" stroke-dasharray="4 3"><title>%s %s: %s</title></line>`+"\n",
			at, y(1), at, y(0), html.EscapeString(fmtOffset(ev.T)), html.EscapeString(ev.Source), html.EscapeString(ev.Message))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11">0s</text>`+"\n", x(0), chartHeight-8)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%ds</text>`+"\n", x(n), chartHeight-8, len(secs))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11">red: failed share per second · blue: p99 (top = %s) · dashed: faults</text>`+"\n",
		x(0), chartPad-10, html.EscapeString(human.Duration(maxP99)))
	b.WriteString("</svg>")
	return b.String()
}
