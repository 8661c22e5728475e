package advise

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0, the subset code scanning reads.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		ShortDescription     sarifText    `json:"shortDescription"`
		FullDescription      sarifText    `json:"fullDescription"`
		Help                 sarifText    `json:"help"`
		DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifDefault struct {
		Level string `json:"level"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
)

// sarifLevel maps a level to SARIF's (error, warning, note).
func sarifLevel(l Level) string {
	if l == LevelInfo {
		return "note"
	}
	return string(l)
}

// artifactURI is file as a SARIF URI: relative paths stay relative (to the
// directory drill ran in, the repository root in CI), absolute ones become
// file URIs.
func artifactURI(file string) string {
	p := filepath.ToSlash(filepath.Clean(file))
	if filepath.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}

// WriteSARIF writes the findings as a SARIF 2.1.0 log with every rule in
// tool.driver.rules; version is drill's.
func WriteSARIF(w io.Writer, fs []Finding, version string) error {
	rules := Rules()
	index := map[string]int{}
	driver := sarifDriver{Name: "drill advise", Version: version, InformationURI: "https://github.com/drillkit/drill/blob/main/docs/advise.md"}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifText{r.Summary},
			FullDescription:      sarifText{r.Why},
			Help:                 sarifText{r.Fix + ". Evidence: " + r.Evidence + ". Sources: " + strings.Join(r.Sources, ", ")},
			DefaultConfiguration: sarifDefault{sarifLevel(r.Level)},
		})
	}
	results := []sarifResult{}
	for _, f := range fs {
		// A live cluster's finding (a node) is in no file.
		locs := []sarifLocation{}
		if f.Object.File != "" {
			loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.Object.File)}}
			if f.Object.Line > 0 {
				loc.Region = &sarifRegion{StartLine: f.Object.Line}
			}
			locs = append(locs, sarifLocation{PhysicalLocation: loc})
		}
		results = append(results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: index[f.Rule],
			Level:     sarifLevel(f.Level),
			Message:   sarifText{f.Object.String() + ": " + f.Reason + ". Fix: " + f.Fix},
			Locations: locs,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	})
}
