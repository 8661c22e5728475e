package run

import (
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/scenario"
)

// setupAdvice is what a run of sc notes from its setup: the objects read
// and patched as the run applies them.
func setupAdvice(t *testing.T, sc *scenario.Scenario) []string {
	t.Helper()
	objs, err := cluster.ReadManifests(sc.SetupFiles())
	if err != nil {
		t.Fatal(err)
	}
	if err := patchSetup(objs, "default", sc.Patch, nil); err != nil {
		t.Fatal(err)
	}
	return adviceNotes(sc, objs)
}

func notesWith(notes []string, part string) []string {
	var out []string
	for _, n := range notes {
		if strings.HasPrefix(n, AdvicePrefix) && strings.Contains(n, part) {
			out = append(out, n)
		}
	}
	return out
}

// TestAdviceNotesOfShippedScenarios: the rolling update without preStop
// notes the missing hook as an error at its line, the one with a preStop
// hook does not; a matrix variant is judged as patched.
func TestAdviceNotesOfShippedScenarios(t *testing.T) {
	load := func(f string) *scenario.Scenario {
		sc, err := scenario.Load("../../scenarios/" + f)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	no := setupAdvice(t, load("rolling-update-no-prestop.yaml"))
	for _, n := range no {
		t.Log(n)
	}
	if got := notesWith(no, "error prestop-missing: Deployment/web (../../scenarios/manifests/web.yaml:"); len(got) != 1 {
		t.Errorf("rolling-update-no-prestop: prestop-missing notes %q, want one citing web.yaml", got)
	}
	with := setupAdvice(t, load("rolling-update-prestop.yaml"))
	if got := notesWith(with, "prestop-"); len(got) != 0 {
		t.Errorf("rolling-update-prestop: preStop notes %q, want none", got)
	}
	if got := notesWith(with, "warning readiness-gate-missing"); len(got) != 1 {
		t.Errorf("rolling-update-prestop: readiness-gate notes %q, want one warning", got)
	}

	matrix := load("rolling-update-matrix.yaml")
	variants := matrix.Matrix.Variants()
	if len(variants) != 2 {
		t.Fatalf("matrix variants %+v", variants)
	}
	for i, want := range []int{1, 0} {
		v := matrix.WithVariant(variants[i])
		got := notesWith(setupAdvice(t, v), "prestop-missing")
		if len(got) != want {
			t.Errorf("%s: prestop-missing notes %q, want %d", v.Variant, got, want)
		}
		for _, n := range got {
			if !strings.Contains(n, "Deployment/web: ") {
				t.Errorf("%s: a patched object's note cites a line: %q", v.Variant, n)
			}
		}
	}
}
