package labtarget

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/awslb"
	"github.com/drillkit/drill/pkg/cluster"
)

func TestReadinessGates(t *testing.T) {
	objs, err := cluster.ReadManifests([]string{"../../../scenarios/manifests/web-prestop.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	gates := func() []any {
		for _, o := range objs {
			if o.GetKind() == "Deployment" {
				g, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "readinessGates")
				return g
			}
		}
		t.Fatal("no Deployment in the manifest")
		return nil
	}
	if err := (Target{}).ReadinessGates(objs, "shop", true); err != nil {
		t.Fatal(err)
	}
	// web-prestop.yaml: Ingress web (ip targets) → Service web port 80 → the web pods.
	want := awslb.ReadinessGatePrefix + ingress.GroupName("shop", "web", "web", 80)
	if g := gates(); len(g) != 1 || g[0].(map[string]any)["conditionType"] != want {
		t.Fatalf("readiness gates %v, want one: %s", g, want)
	}
	if err := (Target{}).ReadinessGates(objs, "shop", true); err != nil {
		t.Fatal(err)
	}
	if g := gates(); len(g) != 1 {
		t.Fatalf("patched twice: %v, want the gate once", g)
	}
	if err := (Target{}).ReadinessGates(objs, "shop", false); err != nil {
		t.Fatal(err)
	}
	if g := gates(); len(g) != 0 {
		t.Fatalf("readiness gates %v after readinessGates false", g)
	}
}
