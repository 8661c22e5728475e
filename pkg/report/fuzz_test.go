package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the report decoder and renders what it
// accepts: neither may panic, and every accepted report renders.
func FuzzDecode(f *testing.F) {
	good, err := json.Marshal(fixtureReport())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"schema":"drill.report/v1"}`))
	f.Add([]byte(`{"schema":"drill.report/v1","summary":{"timeline":[{"t":3},{"t":-1}],"bursts":[{"startT":5,"endT":2}]}}`))
	f.Add([]byte(`{"schema":"drill.report/v9"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data, "fuzz")
		if err != nil {
			return
		}
		for _, format := range Formats {
			if err := Render(&bytes.Buffer{}, r, format); err != nil {
				t.Fatalf("render %s of an accepted report: %v", format, err)
			}
		}
		c := Compare([]*Report{r, r}, CompareOptions{Resamples: 100})
		if err := RenderComparison(&bytes.Buffer{}, c, FormatJSON); err != nil {
			t.Fatalf("comparison json: %v", err)
		}
	})
}
