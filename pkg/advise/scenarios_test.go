package advise

import (
	"path/filepath"
	"testing"

	"github.com/drillkit/drill/pkg/scenario"
)

// TestShippedScenarios runs the rules over each shipped scenario's setup
// manifests: the rolling update that fails for want of a preStop hook gets
// rule prestop-missing, the one with a preStop hook gets none of the
// shutdown rules.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	rules := map[string]map[string]int{} // scenario → rule → findings
	for _, f := range files {
		s, err := scenario.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Setup) == 0 {
			continue
		}
		m, err := Read(s.SetupFiles())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fs, err := Analyze(m, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		rules[name] = map[string]int{}
		for _, x := range fs {
			rules[name][x.Rule]++
			t.Logf("%s: %s %s %s:%d %s", name, x.Level, x.Rule, x.Object.File, x.Object.Line, x.Reason)
		}
		if n := rules[name]["rollout-no-capacity"]; n != 0 {
			t.Errorf("%s: %d rollout-no-capacity findings: every shipped Deployment keeps pods serving", name, n)
		}
	}
	for name, want := range map[string]map[string]int{
		"rolling-update-no-prestop.yaml": {"prestop-missing": 1, "prestop-short": 0, "grace-period-short": 0, "readiness-gate-missing": 1},
		"rolling-update-prestop.yaml":    {"prestop-missing": 0, "prestop-short": 0, "grace-period-short": 0, "readiness-gate-missing": 1, "health-check-slower-than-min-ready": 0},
		// Only blue is behind the load balancer: the Service web selects it.
		"selector-switch.yaml": {"prestop-missing": 1},
		// Both colours are in the forward action.
		"blue-green.yaml":    {"prestop-missing": 2},
		"pod-imbalance.yaml": {"prestop-missing": 1, "readiness-gate-missing": 0},
	} {
		for rule, n := range want {
			if got := rules[name][rule]; got != n {
				t.Errorf("%s: %d %s findings, want %d", name, got, rule, n)
			}
		}
	}
}
