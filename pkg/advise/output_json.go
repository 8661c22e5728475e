package advise

import (
	"encoding/json"
	"io"
)

// report is the JSON document of WriteJSON.
type report struct {
	Findings []Finding     `json:"findings"`
	Counts   map[Level]int `json:"counts"`
}

// WriteJSON writes the findings and their count by level as JSON.
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report{Findings: fs, Counts: count(fs)})
}
