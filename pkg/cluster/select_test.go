package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubeconfigFile writes a kubeconfig with one cluster, user and context
// named name, whose server is server, and returns its path.
func kubeconfigFile(t *testing.T, dir, name, server string) string {
	t.Helper()
	p := filepath.Join(dir, name+".kubeconfig")
	body := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: %[1]s
clusters:
- name: %[1]s
  cluster: {server: %[2]q}
users:
- name: %[1]s
  user: {token: t-%[1]s}
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: %[1]s, namespace: ns-%[1]s}
`, name, server)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelectionLoadsLikeKubectl(t *testing.T) {
	dir := t.TempDir()
	a := kubeconfigFile(t, dir, "a", "https://127.0.0.10:6443")
	b := kubeconfigFile(t, dir, "b", "https://127.0.0.11:6443")
	// $KUBECONFIG with two files: merged, the first file's current context wins.
	t.Setenv("KUBECONFIG", a+string(os.PathListSeparator)+b)
	t.Setenv("HOME", dir)
	for _, tc := range []struct {
		name string
		sel  Selection
		host string
	}{
		{"current context of the first file", Selection{}, "https://127.0.0.10:6443"},
		{"a context of the second file", Selection{Context: "b"}, "https://127.0.0.11:6443"},
		{"an explicit file over $KUBECONFIG", Selection{Kubeconfig: b}, "https://127.0.0.11:6443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.sel.RESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tc.host {
				t.Errorf("host %s, want %s", cfg.Host, tc.host)
			}
		})
	}
	ns, _, err := Selection{Context: "b", Namespace: "web"}.ClientConfig().Namespace()
	if err != nil || ns != "web" {
		t.Errorf("namespace %q, %v: want the override web", ns, err)
	}
	_, err = Selection{Context: "nope"}.RESTConfig()
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "--kubeconfig") {
		t.Errorf("unknown context: %v; want an error naming it and the flags", err)
	}
	if _, err := Open(Selection{Context: "a"}); err != nil {
		t.Errorf("Open: %v", err)
	}
}

func TestSelectionOverride(t *testing.T) {
	scenario := Selection{Kubeconfig: "/k", Context: "prod", Namespace: "shop"}
	for _, tc := range []struct {
		flags, want Selection
	}{
		{Selection{}, scenario},
		{Selection{Context: "staging"}, Selection{Kubeconfig: "/k", Context: "staging", Namespace: "shop"}},
		{Selection{Kubeconfig: "/other", Namespace: "test"}, Selection{Kubeconfig: "/other", Context: "prod", Namespace: "test"}},
	} {
		if got := scenario.Override(tc.flags); got != tc.want {
			t.Errorf("%+v over %+v = %+v, want %+v", tc.flags, scenario, got, tc.want)
		}
	}
	if !(Selection{}).IsZero() || scenario.IsZero() {
		t.Error("IsZero")
	}
}
