package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/scenario"
)

func TestPrepareRejectsLabTargetWithoutSetup(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: x}\nload: {rate: 1/s, duration: 2s}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Prepare(file, scenario.Options{})
	if err == nil || !strings.Contains(err.Error(), file+":1:1: setup: a lab target needs setup manifests") {
		t.Fatalf("Prepare = %v: want the missing setup named with its file", err)
	}
}

// TestPrepareReportsFaultParametersWithTheRest: a fault's bad parameters
// (a typo, a value its action refuses) are reported together with the
// scenario's other problems, each with its position.
func TestPrepareReportsFaultParametersWithTheRest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.yaml")
	body := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: x}\nsetup: [web.yaml]\n" +
		"load: {rate: 1/s, duration: 20s, keepAlives: true}\n" +
		"faults:\n" +
		"  - {at: 1s, rollingUpdate: {deploymnt: web}}\n" +
		"  - {at: 2s, deregistrationDelay: {ingress: web, delay: 1500ms}}\n" +
		"  - {at: 3s, podKil: {selector: app=web}}\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Prepare(file, scenario.Options{})
	if err == nil {
		t.Fatal("Prepare accepted the scenario")
	}
	for _, want := range []string{
		file + ":5:", "keepAlives",
		file + ":7:", `faults[0].rollingUpdate.deploymnt: unknown field "deploymnt"; did you mean "deployment"?`,
		file + ":8:", "faults[1].deregistrationDelay: delay 1.5s: use whole seconds",
		file + ":9:", `did you mean "podKill"?`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare's error lacks %q:\n%v", want, err)
		}
	}
}
