package run

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/drillkit/drill/pkg/awslb"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/scenario"
)

func TestPatchSetup(t *testing.T) {
	read := func() (dep, ing *unstructured.Unstructured) {
		objs, err := cluster.ReadManifests([]string{"../../scenarios/manifests/web-prestop.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			switch o.GetKind() {
			case "Deployment":
				dep = o
			case "Ingress":
				ing = o
			}
		}
		ing.SetAnnotations(map[string]string{awslb.AnnTargetGroupAttributes: "stickiness.enabled=false, deregistration_delay.timeout_seconds=10"})
		return dep, ing
	}
	hook := func(dep *unstructured.Unstructured) any {
		cs, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
		h, _, _ := unstructured.NestedFieldCopy(cs[0].(map[string]any), "lifecycle", "preStop", "exec", "command")
		return h
	}
	sleep, grace, delay := 30*time.Second, int64(45), 300*time.Second
	dep, ing := read()
	if err := patchSetup([]*unstructured.Unstructured{dep, ing}, "default", scenario.SetupPatch{PreStopSleep: &sleep, GracePeriodSeconds: &grace, DeregistrationDelay: &delay}, nil); err != nil {
		t.Fatal(err)
	}
	if h, ok := hook(dep).([]any); !ok || len(h) != 2 || h[0] != "sleep" || h[1] != "30" {
		t.Errorf("preStop command %v, want [sleep 30]", hook(dep))
	}
	if g, _, _ := unstructured.NestedInt64(dep.Object, "spec", "template", "spec", "terminationGracePeriodSeconds"); g != 45 {
		t.Errorf("grace period %d, want 45", g)
	}
	if got := ing.GetAnnotations()[awslb.AnnTargetGroupAttributes]; got != "deregistration_delay.timeout_seconds=300,stickiness.enabled=false" {
		t.Errorf("target group attributes %q: want the delay replaced and the rest kept", got)
	}

	zero := time.Duration(0)
	dep, ing = read()
	if err := patchSetup([]*unstructured.Unstructured{dep, ing}, "default", scenario.SetupPatch{PreStopSleep: &zero}, nil); err != nil {
		t.Fatal(err)
	}
	if h := hook(dep); h != nil {
		t.Errorf("preStop %v left after preStopSleep 0s", h)
	}
	if g, _, _ := unstructured.NestedFieldNoCopy(dep.Object, "spec", "template", "spec", "terminationGracePeriodSeconds"); fmt.Sprint(g) != "30" {
		t.Errorf("grace period %v changed without the variable, want the manifest's 30", g)
	}
	if got := ing.GetAnnotations()[awslb.AnnTargetGroupAttributes]; got != "stickiness.enabled=false, deregistration_delay.timeout_seconds=10" {
		t.Errorf("annotation %q changed without the variable", got)
	}
}

func TestPatchReadinessGatesNeedsALab(t *testing.T) {
	objs, err := cluster.ReadManifests([]string{"../../scenarios/manifests/web-prestop.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	on := true
	if err := patchSetup(objs, "shop", scenario.SetupPatch{ReadinessGates: &on}, nil); err == nil || !strings.Contains(err.Error(), scenario.VarReadinessGates+" needs a lab target") {
		t.Fatalf("readiness gates without a lab target: %v, want them refused", err)
	}
}
