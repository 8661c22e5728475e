package run

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
)

// waitTargets waits until every Ingress the setup applied (without any: every
// Ingress of class alb in the target's namespace, made before the run) has
// target groups with at least one healthy target, and returns those groups.
// ctx bounds the wait (timeouts.setup: on AWS, a new ALB takes minutes).
func (s *system) waitTargets(ctx context.Context) ([]elbv2.TargetGroup, error) {
	ingresses, err := s.lbIngresses(ctx)
	if err != nil {
		return nil, err
	}
	if len(ingresses) == 0 {
		return nil, fmt.Errorf("the load balancer routes by Ingress and namespace %s has none of class alb: add a manifest with an Ingress of ingressClassName alb to setup (see scenarios/manifests/web.yaml), or leave sample.loadBalancer out", s.namespace)
	}
	var all []elbv2.TargetGroup
	for _, o := range ingresses {
		group, err := s.ingressGroup(ctx, o)
		if err != nil {
			return nil, err
		}
		var groups []elbv2.TargetGroup
		var last string
		err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			if groups, err = s.elb.TargetGroupsForIngress(ctx, o.Namespace, o.Name, group); err != nil {
				last = err.Error()
				return false, nil
			}
			for _, sm := range s.elb.SampleOnce(ctx, groups) {
				if sm.Counts["healthy"] == 0 {
					last = fmt.Sprintf("target group %s has no healthy target yet (%v)", sm.TargetGroup, sm.Counts)
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("load balancer for %s not ready (%v): %s", o, context.Cause(ctx), last)
		}
		all = append(all, groups...)
	}
	return all, nil
}

// ingressGroup returns the IngressGroup an Ingress belongs to (annotation
// alb.ingress.kubernetes.io/group.name), whose name tags its target groups
// instead of the Ingress's; "" when it has none.
func (s *system) ingressGroup(ctx context.Context, o cluster.Object) (string, error) {
	ing, err := s.cluster.Client.NetworkingV1().Ingresses(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("read %s: %w", o, err)
	}
	return ing.Annotations[annIngressGroup], nil
}

// annIngressGroup names the IngressGroup of an Ingress.
const annIngressGroup = "alb.ingress.kubernetes.io/group.name"

// lbIngresses are the Ingresses the load balancer serves for this run: the
// setup's, or, when the setup has none, those of class alb already in the
// target's namespace.
func (s *system) lbIngresses(ctx context.Context) ([]cluster.Object, error) {
	var out []cluster.Object
	for _, o := range s.applied {
		if o.Kind == "Ingress" {
			out = append(out, o)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	list, err := s.cluster.Client.NetworkingV1().Ingresses(s.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list ingresses in %s: %w", s.namespace, err)
	}
	for _, ing := range list.Items {
		if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName == "alb" || ing.Annotations["kubernetes.io/ingress.class"] == "alb" {
			out = append(out, cluster.Object{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name})
		}
	}
	return out, nil
}
