package report_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/compare"
	"github.com/drillkit/drill/pkg/report/render"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

// FuzzDecode feeds arbitrary bytes to the report decoder and renders and
// compares what it accepts: none of it may panic, and every accepted report
// renders.
func FuzzDecode(f *testing.F) {
	good, err := json.Marshal(reporttest.Failed())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"schema":"drill.report/v1"}`))
	f.Add([]byte(`{"schema":"drill.report/v1","summary":{"timeline":[{"t":3},{"t":-1}],"bursts":[{"startT":5,"endT":2}]}}`))
	f.Add([]byte(`{"schema":"drill.report/v9"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.Decode(data, "fuzz")
		if err != nil {
			return
		}
		for _, format := range render.Formats {
			if err := render.Report(&bytes.Buffer{}, r, format); err != nil {
				t.Fatalf("render %s of an accepted report: %v", format, err)
			}
		}
		c := compare.Runs([]*report.Report{r, r}, compare.Options{Resamples: 100})
		if err := render.Comparison(&bytes.Buffer{}, c, render.FormatJSON); err != nil {
			t.Fatalf("comparison json: %v", err)
		}
	})
}
