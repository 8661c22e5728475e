package labtarget

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/awslb"
)

// ReadinessGates adds to every Deployment of the setup the readiness gate
// of each ip-target group its pods are registered in (the lab ALB sets that
// condition; on EKS the controller's webhook injects the gate), or, with on
// false, removes every such gate. namespace is where objects without one
// are applied.
func (Target) ReadinessGates(objs []*unstructured.Unstructured, namespace string, on bool) error {
	var services []corev1.Service
	var ingresses []networkingv1.Ingress
	for _, o := range objs {
		var err error
		switch o.GetKind() {
		case "Service":
			var s corev1.Service
			err = runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s)
			services = append(services, s)
		case "Ingress":
			var i networkingv1.Ingress
			err = runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &i)
			ingresses = append(ingresses, i)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	path := []string{"spec", "template", "spec", "readinessGates"}
	for _, o := range objs {
		if o.GetKind() != "Deployment" {
			continue
		}
		podLabels, _, err := unstructured.NestedStringMap(o.Object, "spec", "template", "metadata", "labels")
		if err != nil {
			return fmt.Errorf("readiness gates of Deployment %s: %w", o.GetName(), err)
		}
		gates, _, err := unstructured.NestedSlice(o.Object, path...)
		if err != nil {
			return fmt.Errorf("readiness gates of Deployment %s: %w", o.GetName(), err)
		}
		gates = slices.DeleteFunc(gates, func(g any) bool {
			m, ok := g.(map[string]any)
			t, _ := m["conditionType"].(string)
			return ok && strings.HasPrefix(t, awslb.ReadinessGatePrefix)
		})
		if on {
			for _, gate := range gatesFor(podLabels, services, ingresses, namespace) {
				gates = append(gates, map[string]any{"conditionType": string(gate)})
			}
		}
		if len(gates) == 0 {
			unstructured.RemoveNestedField(o.Object, path...)
			continue
		}
		if err := unstructured.SetNestedSlice(o.Object, gates, path...); err != nil {
			return err
		}
	}
	return nil
}

// gatesFor returns the readiness gates of the ip-target groups that pods
// with these labels are registered in: one per Ingress backend whose
// Service selects them.
func gatesFor(podLabels map[string]string, services []corev1.Service, ingresses []networkingv1.Ingress, namespace string) []corev1.PodConditionType {
	var out []corev1.PodConditionType
	for _, ing := range ingresses {
		if ing.Annotations[awslb.AnnTargetType] != awslb.TargetTypeIP {
			continue
		}
		ns := orDefault(ing.Namespace, namespace)
		for _, b := range ingressBackends(&ing) {
			for _, s := range services {
				if s.Name != b.Name || orDefault(s.Namespace, namespace) != ns || len(s.Spec.Selector) == 0 ||
					!labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(podLabels)) {
					continue
				}
				for _, p := range s.Spec.Ports {
					if b.Port.Name != "" && p.Name == b.Port.Name || b.Port.Name == "" && p.Port == b.Port.Number {
						gate := corev1.PodConditionType(awslb.ReadinessGatePrefix + ingress.GroupName(ns, ing.Name, s.Name, p.Port))
						if !slices.Contains(out, gate) {
							out = append(out, gate)
						}
					}
				}
			}
		}
	}
	return out
}

// ingressBackends lists the Service backends of an Ingress.
func ingressBackends(ing *networkingv1.Ingress) []*networkingv1.IngressServiceBackend {
	var out []*networkingv1.IngressServiceBackend
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		out = append(out, b.Service)
	}
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil {
				out = append(out, p.Backend.Service)
			}
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
