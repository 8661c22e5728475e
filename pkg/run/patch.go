package run

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/drillkit/drill/pkg/awslb"
	"github.com/drillkit/drill/pkg/scenario"
)

// patchSetup applies a matrix combination's setup variables to the setup's
// objects before they are applied (in namespace, unless they name one):
// preStop sleep, grace period and readiness gates of every Deployment,
// deregistration delay of every Ingress. The readiness gates are those of
// the lab's load balancer (nil for other targets).
func patchSetup(objs []*unstructured.Unstructured, namespace string, p scenario.SetupPatch, lab LabTarget) error {
	if p.ReadinessGates != nil {
		if lab == nil {
			return fmt.Errorf("matrix: %s needs a lab target", scenario.VarReadinessGates)
		}
		if err := lab.ReadinessGates(objs, namespace, *p.ReadinessGates); err != nil {
			return fmt.Errorf("matrix: readiness gates: %w", err)
		}
	}
	for _, o := range objs {
		var err error
		switch o.GetKind() {
		case "Deployment":
			err = patchDeployment(o, p)
		case "Ingress":
			patchIngress(o, p)
		}
		if err != nil {
			return fmt.Errorf("matrix: %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

func patchDeployment(o *unstructured.Unstructured, p scenario.SetupPatch) error {
	pod := []string{"spec", "template", "spec"}
	if p.GracePeriodSeconds != nil {
		if err := unstructured.SetNestedField(o.Object, *p.GracePeriodSeconds, append(pod, "terminationGracePeriodSeconds")...); err != nil {
			return err
		}
	}
	if p.PreStopSleep == nil {
		return nil
	}
	containers, _, err := unstructured.NestedSlice(o.Object, append(pod, "containers")...)
	if err != nil {
		return err
	}
	for i, c := range containers {
		m, ok := c.(map[string]any)
		if !ok {
			return fmt.Errorf("containers[%d] is not an object", i)
		}
		if *p.PreStopSleep == 0 {
			unstructured.RemoveNestedField(m, "lifecycle", "preStop")
			continue
		}
		hook := map[string]any{"exec": map[string]any{"command": []any{"sleep", strconv.Itoa(int(*p.PreStopSleep / time.Second))}}}
		if err := unstructured.SetNestedField(m, hook, "lifecycle", "preStop"); err != nil {
			return err
		}
	}
	return unstructured.SetNestedSlice(o.Object, containers, append(pod, "containers")...)
}

// patchIngress sets the deregistration delay in the target-group-attributes
// annotation, keeping the other attributes.
func patchIngress(o *unstructured.Unstructured, p scenario.SetupPatch) {
	if p.DeregistrationDelay == nil {
		return
	}
	ann := o.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	attr := awslb.AttrDeregistrationDelay + "=" + strconv.Itoa(int(*p.DeregistrationDelay/time.Second))
	kept := []string{attr}
	for _, kv := range strings.Split(ann[awslb.AnnTargetGroupAttributes], ",") {
		if k, _, _ := strings.Cut(strings.TrimSpace(kv), "="); k != "" && k != awslb.AttrDeregistrationDelay {
			kept = append(kept, strings.TrimSpace(kv))
		}
	}
	ann[awslb.AnnTargetGroupAttributes] = strings.Join(kept, ",")
	o.SetAnnotations(ann)
}
