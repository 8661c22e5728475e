package main

import (
	"os/exec"
	"strings"
	"testing"
)

// module is drill's module path.
const module = "github.com/drillkit/drill"

// labPackage reports whether a package is part of the lab: the embedded
// cluster (pkg/lab and below) and the lab ALB (pkg/alb).
func labPackage(path string) bool {
	return path == module+"/pkg/lab" || strings.HasPrefix(path, module+"/pkg/lab/") || path == module+"/pkg/alb"
}

// labWiring are the packages outside the lab that bring it up for a run:
// the command, and pkg/run's lab target (pkg/run/lab.go, the ALB's request
// log for attribution, and the readiness gates the lab ALB names).
var labWiring = map[string]bool{module + "/cmd/drill": true, module + "/pkg/run": true}

// TestProductionCodeDoesNotImportTheLab keeps the lab at the edge: no
// package that runs against a real cluster (the faults, samplers, node
// agent, load engine, report) imports a lab package, directly or through
// another package.
func TestProductionCodeDoesNotImportTheLab(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		if labPackage(pkg) || labWiring[pkg] {
			continue
		}
		checked++
		for _, d := range strings.Fields(deps) {
			if labPackage(d) {
				t.Errorf("%s imports the lab package %s (directly or through another package)", pkg, d)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d packages: go list did not list drill's packages", checked)
	}
}
