package render

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report/reporttest"
)

// The Markdown report carries its chart as a well-formed SVG image: a bar
// per second with failures, the p99 line, a marker per fault, a shade per
// burst.
func TestMarkdownChartIsSVG(t *testing.T) {
	var buf strings.Builder
	r := reporttest.Failed()
	if err := Report(&buf, r, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<img alt="([^"]*)" src="data:image/svg\+xml;base64,([^"]+)">`).FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatal("no chart image in the Markdown report")
	}
	if !strings.Contains(m[1], "faults at t=30.0s, t=45.0s") {
		t.Errorf("alt text %q does not name the faults", m[1])
	}
	svg, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
	// A background, one burst shade and 7 seconds with failures.
	if counts["rect"] != 1+1+7 || counts["polyline"] != 1 || counts["line"] != 2 {
		t.Errorf("chart elements %v, want 9 rects, a polyline and 2 fault lines", counts)
	}
}

// A long run is grouped into at most svgMaxBars columns.
func TestMarkdownChartGroupsLongRuns(t *testing.T) {
	s := reporttest.Summary(100, 3000, 5, 1)
	for i := 60; i < 3600; i++ {
		sec := s.Timeline[i%60]
		sec.T = i
		if i >= 100 && i < 3000 {
			sec.Successes = sec.Requests - 5
		}
		s.Timeline = append(s.Timeline, sec)
	}
	svg := string(timelineSVG(s.Timeline, nil, nil))
	if n := strings.Count(svg, `fill="#cf222e"/>`); n == 0 || n > svgMaxBars {
		t.Errorf("%d bars for an hour, want 1 to %d", n, svgMaxBars)
	}
	if len(svg) > 12000 {
		t.Errorf("chart of an hour is %d bytes, want a small one", len(svg))
	}
}
