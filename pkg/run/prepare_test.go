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
