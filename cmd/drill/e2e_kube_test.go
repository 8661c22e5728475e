package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// kubeconfig writes a kubeconfig whose one context, name, points at a
// loopback address no server listens on (a dry run does not call it).
func kubeconfig(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name+".kubeconfig")
	body := fmt.Sprintf("apiVersion: v1\nkind: Config\ncurrent-context: %[1]s\nclusters:\n- name: %[1]s\n  cluster: {server: \"https://127.0.0.1:1\"}\n"+
		"users:\n- name: %[1]s\n  user: {token: x}\ncontexts:\n- name: %[1]s\n  context: {cluster: %[1]s, user: %[1]s}\n", name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The cluster flags override target.kube, with $KUBECONFIG naming several
// files as kubectl reads them.
func TestClusterFlagsOverrideTargetKube(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", kubeconfig(t, dir, "a")+string(os.PathListSeparator)+kubeconfig(t, dir, "b"))
	manifest := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" +
		"  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	sc := filepath.Join(dir, "kube.yaml")
	body := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: kube}\ntarget:\n  kube: {context: a, namespace: shop, url: \"http://127.0.0.1:1/\"}\n" +
		"setup: [web.yaml]\nload: {rate: 1/s, duration: 1s}\n"
	if err := os.WriteFile(sc, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{`target: kube context "a" namespace shop`, "Deployment shop/web"}},
		{[]string{"--context", "b", "-n", "test"}, []string{`target: kube context "b" namespace test`, "Deployment test/web"}},
		{[]string{"--namespace=test"}, []string{`target: kube context "a" namespace test`}},
	} {
		res := drill(t, append(append([]string{"run", "--dry-run"}, tc.args...), sc)...)
		if res.code != report.ExitOK {
			t.Fatalf("drill run --dry-run %v: exit %d\n%s", tc.args, res.code, res.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(res.stdout, w) {
				t.Errorf("drill run --dry-run %v: stdout lacks %q:\n%s", tc.args, w, res.stdout)
			}
		}
	}
	if res := drill(t, "run", "--dry-run", "--context", "nope", sc); res.code != report.ExitError || !strings.Contains(res.stderr, `"nope"`) {
		t.Errorf("unknown context: exit %d, stderr %q; want 1 naming it", res.code, res.stderr)
	}
	if res := drill(t, "run", "--dry-run", "-n", "Not_A_Name", sc); res.code != report.ExitUsage || !strings.Contains(res.stderr, "--namespace") {
		t.Errorf("bad namespace: exit %d, stderr %q; want 2 naming the flag", res.code, res.stderr)
	}
	url := scenarioFile(t, "http://127.0.0.1:1/", "{rate: 1/s, duration: 1s}", "")
	if res := drill(t, "run", "--dry-run", "--context", "b", url); res.code != report.ExitUsage || !strings.Contains(res.stderr, "--context select a cluster for target.kube") {
		t.Errorf("--context with a url target: exit %d, stderr %q; want 2", res.code, res.stderr)
	}
}
