package advise

import (
	"strings"
	"testing"
)

func TestArtifactURI(t *testing.T) {
	for file, want := range map[string]string{
		"deploy/web.yaml":         "deploy/web.yaml",
		"./deploy/web.yaml":       "deploy/web.yaml",
		"/srv/app/a b.yaml":       "file:///srv/app/a%20b.yaml",
		"../manifests/web.yaml":   "../manifests/web.yaml",
		"deploy//nested/../x.yml": "deploy/x.yml",
	} {
		if got := artifactURI(file); got != want {
			t.Errorf("artifactURI(%q) = %q, want %q", file, got, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := WriteTable(&b, analyze(t, app{Lifecycle: "{}", NoPDB: true}, Options{})); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"prestop-missing", "app.yaml:13", "prestop-missing: drill measured about 6%", "1 errors, 1 warnings, 0 info"} {
		if !strings.Contains(out, want) {
			t.Errorf("table does not show %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteTable(&b, nil); err != nil || b.String() != "no findings\n" {
		t.Errorf("no findings: %q, %v", b.String(), err)
	}
}
