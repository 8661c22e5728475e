package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// render builds the kustomization in dir as kubectl apply -k does and
// decodes every object it yields into its Kubernetes type, keyed
// "Kind/namespace/name".
func render(t *testing.T, dir string) map[string]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out := map[string]any{}
	for _, r := range rm.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, gvk, err := scheme.Codecs.UniversalDeserializer().Decode(b, nil, nil)
		if err != nil {
			t.Errorf("%s %s: %v", r.GetKind(), r.GetName(), err)
			continue
		}
		out[gvk.Kind+"/"+r.GetNamespace()+"/"+r.GetName()] = obj
	}
	return out
}

// fileObjects are the "Kind/namespace/name" of every object in the files.
func fileObjects(t *testing.T, files ...string) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			var m struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
			}
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m.Kind != "" {
				out = append(out, m.Kind+"/"+m.Metadata.Namespace+"/"+m.Metadata.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// kustomization is the resource list of a kustomization.yaml.
func kustomization(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Kind      string   `yaml:"kind"`
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if k.Kind != "Kustomization" {
		t.Fatalf("%s: kind %q", path, k.Kind)
	}
	return k.Resources
}

// TestKustomizeBase renders deploy/ as kubectl apply -k does: it
// yields exactly the objects of the manifests it lists (no copy of them
// drifts), each a valid Kubernetes object, the agent with the shipped
// image; and an overlay's images entry sets the agent's image.
func TestKustomizeBase(t *testing.T) {
	listed := kustomization(t, "kustomization.yaml")
	for _, f := range listed {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", f, err)
		}
	}
	if !slices.Contains(listed, "agent.yaml") || !slices.Contains(listed, "rbac.yaml") {
		t.Errorf("kustomization.yaml lists %v, want agent.yaml and rbac.yaml", listed)
	}

	objs := render(t, ".")
	var got []string
	for k := range objs {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := fileObjects(t, listed...); !slices.Equal(got, want) {
		t.Errorf("kustomize build yields\n%v\nthe manifests hold\n%v", got, want)
	}
	for _, want := range []string{"Namespace//drill-system", "ServiceAccount/drill-system/drill-agent", "ServiceAccount/drill-system/drill", "ClusterRole//drill:target", "RoleBinding/drill-system/drill:agent-reader"} {
		if objs[want] == nil {
			t.Errorf("kustomize build lacks %s", want)
		}
	}
	if img := agentImage(t, objs); img != AgentImage {
		t.Errorf("agent image %q, want %q", img, AgentImage)
	}

	base, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	overlay := t.TempDir()
	// kustomize takes a base by a relative path (or a URL) only.
	if base, err = filepath.Rel(overlay, base); err != nil {
		t.Fatal(err)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + base + "\nimages:\n  - name: ghcr.io/drillkit/drill\n    newName: registry.example/team/drill\n    newTag: v1.2.3\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	if img := agentImage(t, render(t, overlay)); img != "registry.example/team/drill:v1.2.3" {
		t.Errorf("overlay's agent image %q", img)
	}
}

func agentImage(t *testing.T, objs map[string]any) string {
	t.Helper()
	ds, ok := objs["DaemonSet/"+AgentNamespace+"/drill-agent"].(*appsv1.DaemonSet)
	if !ok {
		t.Fatalf("no DaemonSet drill-agent in %s", AgentNamespace)
	}
	return ds.Spec.Template.Spec.Containers[0].Image
}
