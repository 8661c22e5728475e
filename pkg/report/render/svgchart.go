package render

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// The Markdown report's chart: a small SVG made here, without a library,
// shown as a data: URI image so that it needs no file beside the comment.
const (
	svgWidth   = 640.0
	svgHeight  = 150.0
	svgLeft    = 44.0 // room for the share axis
	svgRight   = 52.0 // room for the p99 axis
	svgTop     = 18.0
	svgBottom  = 22.0
	svgMaxBars = 160 // seconds are grouped beyond this
)

// timelineSVG draws the failed share of each second (red bars, left axis)
// and its p99 (blue line, right axis) with the faults as dashed markers and
// the error bursts shaded; nil without a timeline.
func timelineSVG(tl []report.Second, events []report.Event, bursts []report.Burst) []byte {
	secs := dense(tl)
	n := len(secs)
	if n == 0 {
		return nil
	}
	per := int(math.Ceil(float64(n) / svgMaxBars))
	plotW, plotH := svgWidth-svgLeft-svgRight, svgHeight-svgTop-svgBottom
	x := func(t float64) float64 { return svgLeft + t/float64(n)*plotW }
	y := func(f float64) float64 { return svgTop + (1-f)*plotH }
	type group struct {
		t       int
		share   float64
		p99     time.Duration
		hasReqs bool
	}
	var groups []group
	var maxShare float64
	var maxP99 time.Duration
	for i := 0; i < n; i += per {
		g := group{t: i}
		for _, s := range secs[i:min(i+per, n)] {
			if s.Requests == 0 {
				continue
			}
			g.hasReqs = true
			failed := s.Requests - min(s.Successes, s.Requests)
			g.share = math.Max(g.share, float64(failed)/float64(s.Requests))
			g.p99 = max(g.p99, s.P99)
		}
		maxShare, maxP99 = math.Max(maxShare, g.share), max(maxP99, g.p99)
		groups = append(groups, g)
	}
	shareTop := niceShare(maxShare)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="10">`, svgWidth, svgHeight, svgWidth, svgHeight)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`)
	for _, bu := range bursts {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#cf222e" fill-opacity="0.1"/>`,
			x(float64(bu.StartT)), svgTop, math.Max(1, x(float64(bu.EndT))-x(float64(bu.StartT))), plotH)
	}
	// Axes and their scales: failed share on the left, p99 on the right.
	fmt.Fprintf(&b, `<path d="M%.1f %.1fV%.1fH%.1fV%.1f" fill="none" stroke="#8c959f"/>`, svgLeft, svgTop, y(0), x(float64(n)), svgTop)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#cf222e">%s</text>`, svgLeft-3, svgTop+4, human.Share(shareTop))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#cf222e">0%%</text>`, svgLeft-3, y(0))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#0969da">%s</text>`, x(float64(n))+3, svgTop+4, xmlText(human.Duration(maxP99)))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#0969da">0</text>`, x(float64(n))+3, y(0))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">0s</text>`, svgLeft, svgHeight-6)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%ds</text>`, x(float64(n)), svgHeight-6, n)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f"><tspan fill="#cf222e">■ failed share per second</tspan>  <tspan fill="#0969da">— p99</tspan>  ┆ faults  <tspan fill="#cf222e" fill-opacity="0.5">■</tspan> error bursts</text>`, svgLeft, svgTop-6)
	var pts []string
	for _, g := range groups {
		if g.share > 0 && shareTop > 0 {
			h := g.share / shareTop * plotH
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#cf222e"/>`, x(float64(g.t)), y(0)-h, math.Max(0.8, plotW/float64(len(groups))-0.3), h)
		}
		if g.hasReqs && maxP99 > 0 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(g.t)+float64(per)/2), y(float64(g.p99)/float64(maxP99))))
		}
	}
	if len(pts) > 0 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0969da" stroke-width="1.5"/>`, strings.Join(pts, " "))
	}
	for _, e := range events {
		if e.Kind == report.EventFault {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#24292f" stroke-dasharray="3 2"/>`, x(e.T.Seconds()), svgTop, x(e.T.Seconds()), y(0))
		}
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

// niceShare rounds the largest failed share up to a round axis top (1%,
// 2%, 5%, 10%, 20%, 50%, 100%); 0 stays 0.
func niceShare(v float64) float64 {
	if v <= 0 {
		return 0
	}
	for _, top := range []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5} {
		if v <= top {
			return top
		}
	}
	return 1
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// svgDataURI is svg as a data: URI for an <img>.
func svgDataURI(svg []byte) string {
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg)
}
