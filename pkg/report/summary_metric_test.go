package report_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// A summary from the real recorder, with every list and map filled: the
// report's copy of it writes the same JSON and converts back unchanged.
func TestSummaryOfKeepsMetricJSON(t *testing.T) {
	start := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	rec := metric.New(metric.Options{Start: start, BackendHeader: "X-Backend"})
	for i := range 600 {
		res := &vegeta.Result{Attack: []string{"home", "cart"}[i%2], Timestamp: start.Add(time.Duration(i) * 10 * time.Millisecond),
			Latency: time.Duration(1+i%7) * time.Millisecond, Code: 200, Headers: http.Header{"X-Backend": {[]string{"web-a", "web-b"}[i%2]}}}
		switch {
		case i >= 200 && i < 260 && i%3 == 0:
			res.Code, res.Error = 502, "502 Bad Gateway"
		case i >= 200 && i < 260 && i%3 == 1:
			res.Code, res.Error = 0, "read: connection reset by peer"
		}
		rec.Add(res)
	}
	m := rec.Summary()
	if len(m.ErrorSet) == 0 || len(m.ByName) < 2 || len(m.Bursts) == 0 || len(m.Backends) < 2 || len(m.Histogram.Buckets) == 0 {
		t.Fatalf("fixture: recorder summary lacks lists: %+v", m)
	}
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(report.SummaryOf(m))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report summary JSON differs from metric's:\ngot  %s\nwant %s", got, want)
	}
	if back := report.SummaryOf(m).Metric(); !reflect.DeepEqual(back, m) {
		t.Errorf("Metric(SummaryOf(s)) differs from s:\ngot  %+v\nwant %+v", back, m)
	}
	for _, name := range []string{"error_rate", "p99", "max_error_burst", "backend_share_cv", "status_5xx"} {
		gv, gok := report.SummaryOf(m).Value(name)
		wv, wok := m.Value(name)
		if gv != wv || gok != wok {
			t.Errorf("Value(%q) = %v, %v; metric says %v, %v", name, gv, gok, wv, wok)
		}
	}
}

// Every saved report fixture decodes and encodes back to the same bytes: the
// document's types read and write drill.report/v1 exactly as it is stored.
func TestDecodeEncodeIsIdentical(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Schema string }
		if json.Unmarshal(data, &head) != nil || head.Schema != report.Schema {
			continue // not a report (a comparison)
		}
		n++
		t.Run(filepath.Base(file), func(t *testing.T) {
			r, err := report.Decode(data, file)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := report.Encode(&buf, r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), data) {
				t.Errorf("%s re-encodes differently:\n%s", file, buf.Bytes())
			}
		})
	}
	if n < 4 {
		t.Errorf("%d report fixtures in testdata, want the 4 renderings' JSON", n)
	}
}
