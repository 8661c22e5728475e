package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/report"
)

const (
	noPreStopManifest = "../../scenarios/manifests/web.yaml"
	preStopManifest   = "../../scenarios/manifests/web-prestop.yaml"
)

func TestAdviseExitCodes(t *testing.T) {
	res := drill(t, "advise", "-f", noPreStopManifest)
	if res.code != report.ExitChecksFailed || !strings.Contains(res.stdout, "prestop-missing") || !strings.Contains(res.stdout, "web.yaml:23") {
		t.Errorf("advise %s: exit %d, stdout:\n%s\nstderr: %s\nwant exit 3 and prestop-missing at web.yaml:23", noPreStopManifest, res.code, res.stdout, res.stderr)
	}
	res = drill(t, "advise", preStopManifest, "-o", "json")
	var doc struct {
		Findings []struct{ Rule, Level string }
		Counts   map[string]int
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil || res.code != report.ExitOK || doc.Counts["error"] != 0 || len(doc.Findings) == 0 {
		t.Errorf("advise %s -o json: exit %d, %v, %+v\nwant exit 0 with warnings only", preStopManifest, res.code, err, doc)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: [web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	res = drill(t, "advise", "-f", bad, "-f", missing)
	if res.code != report.ExitUsage || !strings.Contains(res.stderr, bad+":3: ") || !strings.Contains(res.stderr, missing+": no such file") || res.stdout != "" {
		t.Errorf("advise of a broken and a missing file: exit %d, stdout %q, stderr %q\nwant exit 2 and both files named with their line", res.code, res.stdout, res.stderr)
	}
	for _, args := range [][]string{{"advise"}, {"advise", "-f", preStopManifest, "-o", "xml"}, {"advise", "-f", preStopManifest, "--ingress-defaults", "gke"}} {
		if res := drill(t, args...); res.code != report.ExitUsage {
			t.Errorf("drill %v: exit %d, stderr %q: want 2", args, res.code, res.stderr)
		}
	}
	if res := drill(t, "help", "advise"); res.code != report.ExitOK || !strings.Contains(res.stdout, "Usage:\n  drill advise") {
		t.Errorf("drill help advise: exit %d, stdout %q", res.code, res.stdout)
	}
	if res := drill(t, "advise", "--rules"); res.code != report.ExitOK || !strings.Contains(res.stdout, "health-check-slower-than-min-ready") {
		t.Errorf("drill advise --rules: exit %d, stdout %q", res.code, res.stdout)
	}
}

// TestAdviseSARIF decodes the SARIF log and checks what code scanning
// requires of it.
func TestAdviseSARIF(t *testing.T) {
	res := drill(t, "advise", "-f", noPreStopManifest, "-o", "sarif")
	if res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, stderr %q: want 3", res.code, res.stderr)
	}
	var log struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") || len(log.Runs) != 1 {
		t.Fatalf("version %q, schema %q, %d runs: want 2.1.0 and one run", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.Help.Text == "" {
			t.Errorf("rule %+v without id or help", r)
		}
		ids = append(ids, r.ID)
	}
	if run.Tool.Driver.Name == "" || len(ids) != len(advise.Rules()) {
		t.Errorf("driver %q with rules %v: want a name and every rule", run.Tool.Driver.Name, ids)
	}
	var sawPreStop bool
	for _, r := range run.Results {
		if !slices.Contains(ids, r.RuleID) || !slices.Contains([]string{"error", "warning", "note"}, r.Level) || r.Message.Text == "" || len(r.Locations) != 1 {
			t.Errorf("result %+v: want a known ruleId, a SARIF level, a message and one location", r)
			continue
		}
		loc := r.Locations[0].PhysicalLocation
		if !strings.HasSuffix(loc.ArtifactLocation.URI, "scenarios/manifests/web.yaml") || loc.Region.StartLine < 1 {
			t.Errorf("result %s at %+v: want the manifest's path and a line", r.RuleID, loc)
		}
		if r.RuleID == "prestop-missing" && r.Level == "error" && loc.Region.StartLine == 23 {
			sawPreStop = true
		}
	}
	if !sawPreStop {
		t.Errorf("no prestop-missing error at line 23 among %+v", run.Results)
	}
}
