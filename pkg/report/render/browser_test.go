package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/compare"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

// chromium returns the headless browser's path; without one the test is
// skipped, except in CI (CI=true), where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: scripts/deps.sh installs it (Debian package chromium)")
	}
	t.Skip("no chromium on PATH (scripts/deps.sh installs it)")
	return ""
}

// pageChart is what the browser found of one chart.
type pageChart struct {
	ID     string `json:"id"`
	Series string `json:"series"`
	// Width and Height are the chart canvas's; Painted counts its pixels
	// that are not transparent.
	Width   int `json:"width"`
	Height  int `json:"height"`
	Painted int `json:"painted"`
	Faults  int `json:"faults"`
	Bursts  int `json:"bursts"`
}

// pageState is what the browser found in a loaded page.
type pageState struct {
	Charts string      `json:"charts"` // body's data-charts
	List   []pageChart `json:"list"`
	// BurstEntries counts the bursts listed under the charts, Causes the
	// causes listed with them.
	BurstEntries int `json:"burstEntries"`
	Causes       int `json:"causes"`
	// Errors are the console errors, uncaught exceptions and failed loads.
	Errors []string `json:"-"`
}

const inspectPage = `(() => {
  const list = [...document.querySelectorAll("figure.chart")].map(fig => {
    const c = fig.querySelector("canvas");
    let painted = 0;
    if (c && c.width > 0 && c.height > 0) {
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
    }
    return {id: fig.id, series: fig.dataset.series || "", width: c ? c.width : 0, height: c ? c.height : 0, painted,
      faults: fig.querySelectorAll(".fault-marker").length, bursts: fig.querySelectorAll(".burst-shade").length};
  });
  return {charts: document.body.dataset.charts || "", list, burstEntries: document.querySelectorAll("#bursts .burst").length,
    causes: document.querySelectorAll("#bursts .burst ul.causes li").length};
})()`

// loadPage opens the HTML file in headless chromium, waits for its script to
// finish (or for 20 s) and reports what it drew and every error it saw.
func loadPage(t *testing.T, exe, file string) pageState {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1200, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// Messages come in order: the page's errors, then the log line the test
	// writes once it has read the page.
	const endMark = "drill-browser-test-end"
	messages := chromedp.Console(ctx)
	var errs []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				errs = append(errs, "console: "+err.Error())
				return
			}
			if m.Type == chromedp.ConsoleLog && m.Text == endMark {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				errs = append(errs, m.String()+" ("+m.URL+")")
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatalf("load %s in chromium: %v", file, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body && document.body.dataset.charts !== undefined`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("the page's script did not finish: %v", err)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](inspectPage))
	if err != nil {
		t.Fatalf("inspect %s: %v", file, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.log(`+"`"+endMark+"`"+`)`)); err != nil {
		t.Fatalf("end the console: %v", err)
	}
	<-done
	st.Errors = errs
	return st
}

// rollingUpdateReport is the report of a real lab run of the shipped
// scenarios/rolling-update-no-prestop.yaml (three error bursts, each
// attributed to a target by the lab ALB).
func rollingUpdateReport(t *testing.T) *report.Report {
	t.Helper()
	r, err := report.Load(filepath.Join("testdata", "rolling-update-no-prestop.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writePage(t *testing.T, name string, render func(*bytes.Buffer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkCharts asserts that the page drew every chart its data calls for,
// each with a painted canvas, its series, every fault marker and burst shade.
func checkCharts(t *testing.T, st pageState, want map[string]int, faults, bursts int) {
	t.Helper()
	if len(st.Errors) > 0 {
		t.Errorf("the page had errors:\n%s", strings.Join(st.Errors, "\n"))
	}
	if st.Charts != "drawn" {
		t.Errorf("body data-charts = %q, want drawn", st.Charts)
	}
	got := map[string]pageChart{}
	for _, c := range st.List {
		got[c.ID] = c
	}
	for id, series := range want {
		c, ok := got[id]
		if !ok {
			t.Errorf("no chart %s in the page (charts: %+v)", id, st.List)
			continue
		}
		if c.Width == 0 || c.Height == 0 || c.Painted < 500 {
			t.Errorf("chart %s: canvas %dx%d with %d painted pixels, want a drawn chart", id, c.Width, c.Height, c.Painted)
		}
		if c.Series != fmt.Sprint(series) {
			t.Errorf("chart %s draws %s series, want %d", id, c.Series, series)
		}
		if c.Faults != faults || c.Bursts != bursts {
			t.Errorf("chart %s has %d fault markers and %d burst shades, want %d and %d", id, c.Faults, c.Bursts, faults, bursts)
		}
	}
	if len(st.List) != len(want) {
		t.Errorf("page has %d charts, want %d: %+v", len(st.List), len(want), st.List)
	}
}

func TestHTMLReportInBrowser(t *testing.T) {
	exe := chromium(t)
	for _, tc := range []struct {
		name string
		r    *report.Report
	}{{"lab rolling update", rollingUpdateReport(t)}, {"fixture", reporttest.Failed()}} {
		t.Run(tc.name, func(t *testing.T) {
			d := chartDataOf(tc.r)
			want := map[string]int{"chart-requests": 2, "chart-latency": len(d.Latency)}
			if len(d.Failures) > 0 {
				want["chart-failures"] = len(d.Failures)
			}
			if d.Backends != nil {
				want["chart-backends"] = len(d.Backends)
			}
			if d.Pods != nil {
				want["chart-pods"] = len(d.Pods)
			}
			if d.Targets != nil {
				want["chart-targets"] = len(d.Targets)
			}
			if d.Conntrack != nil {
				want["chart-conntrack"] = len(d.Conntrack)
			}
			if len(d.Faults) == 0 || len(d.Bursts) == 0 || d.Pods == nil || d.Targets == nil {
				t.Fatalf("the report should have faults, bursts, pods and targets to show: %d faults, %d bursts, %d pods, %d targets",
					len(d.Faults), len(d.Bursts), len(d.Pods), len(d.Targets))
			}
			page := writePage(t, "report.html", func(b *bytes.Buffer) error { return Report(b, tc.r, FormatHTML) })
			st := loadPage(t, exe, page)
			checkCharts(t, st, want, len(d.Faults), len(d.Bursts))
			causes := 0
			for _, b := range d.Bursts {
				causes += len(b.Causes)
			}
			if st.BurstEntries != len(d.Bursts) || st.Causes != causes {
				t.Errorf("%d bursts with %d causes listed under the charts, want %d with %d", st.BurstEntries, st.Causes, len(d.Bursts), causes)
			}
			if tc.name == "lab rolling update" && causes < len(d.Bursts) {
				t.Errorf("the lab run's %d bursts have %d causes: want each tied to the target that failed it", len(d.Bursts), causes)
			}
		})
	}
}

func TestComparisonInBrowser(t *testing.T) {
	exe := chromium(t)
	base := reporttest.Variant("preStopSleep=0s", 31, 38, 30, 1)
	fixed := reporttest.Variant("preStopSleep=15s", 0, 0, 0, 1)
	c := compare.Runs([]*report.Report{rollingUpdateReport(t), base, fixed}, compare.Options{})
	page := writePage(t, "compare.html", func(b *bytes.Buffer) error { return Comparison(b, c, FormatHTML) })
	st := loadPage(t, exe, page)
	// Three runs: a failed-share line each; p99 and p50 of each.
	checkCharts(t, st, map[string]int{"chart-failure-rate": 3, "chart-latency": 6}, 0, 0)
}

// The browser test sees a page whose library is missing, or whose data
// makes a chart throw: it is not blind to the failures it guards against.
func TestBrowserSeesBrokenCharts(t *testing.T) {
	exe := chromium(t)
	r := reporttest.Failed()
	var good bytes.Buffer
	if err := Report(&good, r, FormatHTML); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		break_     func([]byte) []byte
		wantCharts string
	}{
		{"library missing", func(p []byte) []byte { return bytes.Replace(p, uplotJS, nil, 1) }, "failed: the chart library did not load"},
		{"chart throws", func(p []byte) []byte {
			return bytes.Replace(p, []byte(`{"kind":"report","seconds":60,`), []byte(`{"kind":"report","seconds":-1,`), 1)
		}, "failed: Invalid array length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broken := tc.break_(good.Bytes())
			if bytes.Equal(broken, good.Bytes()) {
				t.Fatal("the page was not broken")
			}
			path := filepath.Join(t.TempDir(), "broken.html")
			if err := os.WriteFile(path, broken, 0o644); err != nil {
				t.Fatal(err)
			}
			st := loadPage(t, exe, path)
			if len(st.Errors) == 0 || !strings.HasPrefix(st.Charts, tc.wantCharts) {
				t.Errorf("broken page: errors %q, data-charts %q; want errors and %q", st.Errors, st.Charts, tc.wantCharts)
			}
		})
	}
}
