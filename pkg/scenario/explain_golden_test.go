package scenario_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestExplainGolden pins drill explain's text: the format with the fault
// actions drill has and their parameters.
func TestExplainGolden(t *testing.T) {
	got := scenario.Explain(inject.Catalog())
	const golden = "testdata/explain.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Explain differs from %s; run go test ./pkg/scenario -update and review the diff", golden)
	}
	for _, a := range inject.Actions() {
		if !strings.Contains(got, "\n  "+a.Name+": object\n") {
			t.Errorf("drill explain lacks the fault action %s", a.Name)
		}
	}
}
