package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is drill's module path.
const module = "github.com/drillkit/drill"

// labPackage reports whether a package is part of the lab: the embedded
// cluster (pkg/lab and below) and the lab ALB (pkg/alb and below).
func labPackage(path string) bool {
	return within(path, module+"/pkg/lab") || within(path, module+"/pkg/alb")
}

// within reports whether path is the package dir or one below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// labWiring is the only package outside the lab that imports it: the
// command, which gives the runner the lab target (pkg/lab/labtarget).
const labWiring = module + "/cmd/drill"

// TestProductionCodeDoesNotImportTheLab keeps the lab at the edge: no
// package that runs against a real cluster (the faults, samplers, node
// agent, load engine, report, the runner) imports a lab package, directly
// or through another package. Tests may.
func TestProductionCodeDoesNotImportTheLab(t *testing.T) {
	checked := 0
	for pkg, deps := range goList(t, "Deps", module+"/...") {
		if labPackage(pkg) || pkg == labWiring {
			continue
		}
		checked++
		for _, d := range deps {
			if labPackage(d) {
				t.Errorf("%s imports the lab package %s (directly or through another package)", pkg, d)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d packages: go list did not list drill's packages", checked)
	}
}

// albLayers lists, for each package of the lab ALB, the ALB packages it may
// import: the wiring imports the controller and the API, which import only
// the data plane.
var albLayers = map[string][]string{
	"pkg/alb":                         {"pkg/alb/dataplane", "pkg/alb/elbapi", "pkg/alb/ingress"},
	"pkg/alb/elbapi":                  {"pkg/alb/dataplane"},
	"pkg/alb/ingress":                 {"pkg/alb/dataplane"},
	"pkg/alb/dataplane":               nil,
	"pkg/alb/dataplane/dataplanetest": {"pkg/alb/dataplane"},
}

// TestLabALBLayers keeps the lab ALB's imports one way: wiring, then the
// controller or the API, then the data plane.
func TestLabALBLayers(t *testing.T) {
	seen := 0
	for pkg, imports := range goList(t, "Imports", module+"/pkg/alb/...") {
		pkg = strings.TrimPrefix(pkg, module+"/")
		allowed, ok := albLayers[pkg]
		if !ok {
			t.Errorf("%s is not in albLayers: add it with the ALB packages it may import", pkg)
			continue
		}
		seen++
		for _, imp := range imports {
			imp = strings.TrimPrefix(imp, module+"/")
			if within(imp, "pkg/alb") && !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s: it may import only %v of the lab ALB", pkg, imp, allowed)
			}
		}
	}
	if seen != len(albLayers) {
		t.Errorf("go list found %d of the %d packages in albLayers", seen, len(albLayers))
	}
}

// goList maps every package matching pattern to its list field (Deps or
// Imports), as `go list` reports them.
func goList(t *testing.T, field, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range ."+field+"}} {{.}}{{end}}", pattern).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, list, _ := strings.Cut(line, " ")
		pkgs[pkg] = strings.Fields(list)
	}
	return pkgs
}
