package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestAgentObjects(t *testing.T) {
	for _, tc := range []struct{ name, image, want string }{
		{"as shipped", "", AgentImage},
		{"own image", "registry.example/team/drill:v1", "registry.example/team/drill:v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := AgentObjects(tc.image)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
				if o.GetKind() != "Namespace" && o.GetNamespace() != AgentNamespace {
					t.Errorf("%s in namespace %q", o.GetKind(), o.GetNamespace())
				}
				if o.GetKind() != "DaemonSet" {
					continue
				}
				var ds appsv1.DaemonSet
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &ds); err != nil {
					t.Fatal(err)
				}
				spec := ds.Spec.Template.Spec
				c := spec.Containers[0]
				if c.Image != tc.want || !spec.HostNetwork || c.Args[0] != "agent" {
					t.Errorf("image %q hostNetwork %v args %v", c.Image, spec.HostNetwork, c.Args)
				}
				if caps := c.SecurityContext.Capabilities; caps == nil || len(caps.Add) == 0 || caps.Add[0] != "NET_ADMIN" {
					t.Errorf("capabilities %+v", caps)
				}
			}
			if strings.Join(kinds, ",") != "Namespace,ServiceAccount,DaemonSet" {
				t.Errorf("kinds %v", kinds)
			}
		})
	}
}

// Every shipped manifest decodes into known Kubernetes types (rbac-target
// after its placeholder is replaced, as its instructions say).
func TestManifestsDecode(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	// kustomization.yaml is kustomize's, not Kubernetes' (TestKustomizeBase).
	files = slices.DeleteFunc(files, func(f string) bool { return f == "kustomization.yaml" })
	if len(files) < 4 {
		t.Fatalf("manifests %v", files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(string(data), "TARGET_NAMESPACE", "shop")
			for i, doc := range strings.Split(text, "\n---\n") {
				if _, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil); err != nil {
					t.Errorf("document %d: %v", i+1, err)
				}
			}
		})
	}
}
