//go:build lab

package main

import (
	"path/filepath"
	"testing"

	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
)

// TestRepeatOnALab runs a short lab scenario with a fault twice: each
// trial brings up its own lab and applies its own fault (a fault keeps
// what it changed, so trials must not share one), writes its report into
// trial-N, and pooled.json adds their requests up.
func TestRepeatOnALab(t *testing.T) {
	labtest.Require(t)
	file := webScenario(t, "lab-repeat", `target: {lab: {nodes: 1}}
load: {rate: 20/s, duration: 4s}
faults:
  - at: 1s
    podKill: {selector: app=web, count: 1}
checks: [requests > 0]
`)
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, "--lab-name", runLabName(t), "--repeat", "2", file)
	if res.code != report.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	var sum uint64
	for _, trial := range []string{"trial-1", "trial-2"} {
		r, err := report.Load(filepath.Join(dir, trial))
		if err != nil {
			t.Fatalf("%s: %v\n%s", trial, err, res.stderr)
		}
		faults := 0
		for _, e := range r.Events {
			if e.Kind == report.EventFault {
				faults++
			}
		}
		t.Logf("%s: %s, %d requests, %d failed, %d fault events", trial, r.Status, r.Summary.Requests, r.Summary.Requests-r.Summary.Successes, faults)
		if r.Status != report.StatusPassed || faults == 0 {
			t.Errorf("%s: status %s, %d fault events; want passed with its own fault applied", trial, r.Status, faults)
		}
		sum += r.Summary.Requests
	}
	p, err := report.Load(filepath.Join(dir, report.PooledFileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Trials) != 2 || p.Summary.Requests != sum || p.ExitCode != report.ExitOK || p.Status != report.StatusPassed {
		t.Errorf("pooled: %d trials, %d requests (trials %d), exit %d, status %s", len(p.Trials), p.Summary.Requests, sum, p.ExitCode, p.Status)
	}
}
