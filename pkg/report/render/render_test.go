package render

import (
	"encoding/json"
	"fmt"
	"time"

	"bytes"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

func TestRenderGolden(t *testing.T) {
	reports := reporttest.Named()
	for _, name := range []string{"failed", "aborted", "passed", "unjudged"} {
		for _, format := range Formats {
			t.Run(name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Report(&buf, reports[name], format); err != nil {
					t.Fatal(err)
				}
				if format == FormatJSON {
					// The report itself, pinned by pkg/report's golden files.
					var want bytes.Buffer
					if err := report.Encode(&want, reports[name]); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(buf.Bytes(), want.Bytes()) {
						t.Errorf("json rendering differs from the report file:\n%s", buf.Bytes())
					}
					return
				}
				ext := map[string]string{FormatTable: "txt", FormatMarkdown: "md", FormatJUnit: "xml", FormatHTML: "html"}[format]
				reporttest.Golden(t, name+"."+ext+".golden", withoutChartLib(t, format, buf.Bytes()))
			})
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Report(&bytes.Buffer{}, reporttest.Failed(), "pdf")
	if err == nil || !strings.Contains(err.Error(), "table, md, json, junit, html") {
		t.Errorf("err = %v, want one listing the formats", err)
	}
}

func TestMarkdownEscapesRunData(t *testing.T) {
	r := reporttest.Failed()
	r.Scenario.Name = "evil <script>alert(1)</script>"
	r.Checks[0].Message = "a | b *c* [x](http://example.com)"
	r.Events[1].Message = "```\n# heading"
	var buf bytes.Buffer
	if err := Report(&buf, r, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>", "a | b", "*c*", "[x](", "```\n# heading"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains unescaped %q", bad)
		}
	}
	for _, want := range []string{`a \| b`, "&lt;script&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks escaped %q", want)
		}
	}
}

func TestTimelineWindowsAndSparklineWidth(t *testing.T) {
	s := reporttest.Summary(31, 38, 30, 1)
	// Stretch to a 10-minute run: 600 seconds.
	for i := 60; i < 600; i++ {
		sec := s.Timeline[i%60]
		sec.T = i
		s.Timeline = append(s.Timeline, sec)
	}
	lines := sparklines(s.Timeline)
	if n := len([]rune(strings.SplitN(lines[0], "|", 3)[1])); n > sparkWidth {
		t.Errorf("sparkline is %d characters, want at most %d", n, sparkWidth)
	}
	if !strings.Contains(lines[2], "1 char = 7s") {
		t.Errorf("scale line = %q, want 7 seconds per character", lines[2])
	}
	if rows := len(timelineTable(s.Timeline).rows); rows > 30 || rows < 15 {
		t.Errorf("window table has %d rows, want 15 to 30", rows)
	}
}

func TestBackendTableGroupsOthers(t *testing.T) {
	var tl []report.Second
	for i := range 12 {
		tl = append(tl, report.Second{T: i, Requests: 10, Successes: 10, Backends: map[string]uint64{fmt.Sprintf("pod-%02d", i): 10}})
	}
	bt := backendTable(tl)
	if len(bt.header) != maxBackendColumns+1 || bt.header[maxBackendColumns] != "5 others" {
		t.Fatalf("header = %q, want %d backends and a column for 5 others", bt.header, maxBackendColumns-1)
	}
	// Second window (10s-12s): pod-10 and pod-11, both among the others.
	if got := bt.rows[1][maxBackendColumns]; got != "20" {
		t.Errorf("others in 10s-12s = %q, want 20", got)
	}
	if backendTable(tl[:1]) != nil {
		t.Error("one backend: want no table")
	}
}

// withoutChartLib puts the chart library's mark back in an HTML page, so
// that golden files hold drill's page, not the library.
func withoutChartLib(t *testing.T, format string, page []byte) []byte {
	t.Helper()
	if format != FormatHTML {
		return page
	}
	if n := bytes.Count(page, chartLib); n != 1 {
		t.Fatalf("the page holds the chart library %d times, want once", n)
	}
	return bytes.Replace(page, chartLib, []byte(chartLibMark), 1)
}

func TestHTMLIsSafeAndChartDataParses(t *testing.T) {
	r := reporttest.Failed()
	r.Scenario.Name = "evil <script>alert(1)</script>"
	r.Events[0].Source = `"><script>x</script>`
	r.Status = `failed" onmouseover="alert(1)`
	r.Checks[0].Message = "</title></rect><script>y</script>"
	r.Events[1].Message = chartLibMark // where the library goes: report data cannot put it there
	// A secret that the library's code also holds: redaction must not touch
	// the library.
	r.Redactor = redact.New("function")
	var buf bytes.Buffer
	if err := Report(&buf, r, FormatHTML); err != nil {
		t.Fatal(err)
	}
	withoutChartLib(t, FormatHTML, buf.Bytes())
	out := buf.String()
	for _, bad := range []string{"<script>alert", "<script>x", "<script>y", `" onmouseover="`} {
		if strings.Contains(out, bad) {
			t.Errorf("html contains unescaped %q", bad)
		}
	}
	if got := strings.Count(out, "</script>"); got != 3 {
		t.Errorf("page has %d script ends, want 3 (data, library, charts, and no other)", got)
	}
	const open = `<script type="application/json" id="drill-data">`
	start := strings.Index(out, open)
	if start < 0 {
		t.Fatal("no chart data in the page")
	}
	body := out[start+len(open):]
	body = body[:strings.Index(body, "</script>")]
	var d chartData
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("chart data is not JSON: %v", err)
	}
	if d.Kind != "report" || d.Seconds != 60 || len(d.Faults) != 2 || d.Faults[0].Label != `"><script>x</script>: applied` {
		t.Errorf("chart data: kind %q, %d seconds, faults %+v", d.Kind, d.Seconds, d.Faults)
	}
}

func TestMarkdownStaysUnderCommentLimit(t *testing.T) {
	// A long, eventful run: an hour, a sample event per second, 300 pod
	// events and 80 bursts. The PR comment must stay under GitHub's 65536
	// characters.
	r := reporttest.Failed()
	r.Summary = reporttest.Summary(0, 0, 0, 1)
	for i := range 3600 {
		sec := r.Summary.Timeline[i%60]
		sec.T = i
		if i >= 60 {
			r.Summary.Timeline = append(r.Summary.Timeline, sec)
		}
		r.Events = append(r.Events, report.Event{T: time.Duration(i) * time.Second, Kind: report.EventSample, Source: "node lab-node-1", Message: "conntrack 1234/262144"})
	}
	for i := range 300 {
		r.Events = append(r.Events, report.Event{T: time.Duration(i*12) * time.Second, Kind: report.EventPod, Source: fmt.Sprintf("web-%d", i), Message: "terminating"})
	}
	for i := range 80 {
		r.Summary.Bursts = append(r.Summary.Bursts, report.Burst{StartT: i * 45, EndT: i*45 + 2, Failures: 10, Recovery: 3 * time.Second})
	}
	var buf bytes.Buffer
	if err := Report(&buf, r, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(out) >= 65536 {
		t.Errorf("markdown is %d characters, over GitHub's comment limit", len(out))
	}
	for _, want := range []string{"30 more bursts are in report.json", "105 more events are in report.json", "3600 sample events are in report.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(out, "conntrack 1234/262144") {
		t.Error("sample events are listed")
	}
}

// The error messages and the per-name breakdown are in every rendering, not
// only in report.json.
func TestErrorSetAndNamesInEveryRenderer(t *testing.T) {
	r := reporttest.Failed()
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Report(&buf, r, format); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"502 Bad Gateway", "connection reset", "140", "cart", "home", "600"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s rendering lacks %q", format, want)
			}
		}
	}
}

// A rendering lists the most frequent messages and says how many more
// report.json holds.
func TestErrorSetIsCutToTopMessages(t *testing.T) {
	r := reporttest.Failed()
	r.Summary.ErrorSet = nil
	for i := range 25 {
		r.Summary.ErrorSet = append(r.Summary.ErrorSet, report.ErrorCount{Message: fmt.Sprintf("message-%02d", i), Count: uint64(100 - i)})
	}
	for _, format := range []string{FormatTable, FormatMarkdown, FormatHTML, FormatJUnit} {
		var buf bytes.Buffer
		if err := Report(&buf, r, format); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "message-09") || strings.Contains(out, "message-10") || !strings.Contains(out, "15 more error messages") {
			t.Errorf("%s: want the 10 most frequent messages and a note on the 15 others:\n%s", format, out)
		}
	}
}

// A pooled report shows each trial in every format that lays out sections.
func TestPooledReportShowsTrials(t *testing.T) {
	a, b := reporttest.Variant("", 0, 0, 0, 1), reporttest.Variant("", 31, 38, 30, 1)
	p := report.Pool([]*report.Report{a, b}, []string{"trial-1", "trial-2"})
	for _, format := range []string{FormatTable, FormatMarkdown, FormatHTML} {
		var buf bytes.Buffer
		if err := Report(&buf, p, format); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Trials", "trial-1", "trial-2", "3.500%"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("%s rendering of a pooled report lacks %q", format, want)
			}
		}
	}
}
