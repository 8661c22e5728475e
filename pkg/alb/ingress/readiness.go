package ingress

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/awslb"
)

// onTargetChange updates the readiness gate of the pod behind an ip target.
func (c *Controller) onTargetChange(ctx context.Context, tc dataplane.TargetChange) {
	if tc.Removed || tc.To == dataplane.StateDraining {
		return
	}
	c.mu.Lock()
	mg, ok := c.groups[tc.TargetGroup]
	var ref podRef
	if ok {
		ref, ok = mg.pods[tc.Target.Key()]
	}
	c.mu.Unlock()
	if ok {
		c.setGate(ctx, tc.TargetGroup, ref, tc.To, tc.Reason)
	}
}

// syncReadinessGates sets the condition of every gated pod behind the
// target groups of an Ingress (namespace/name) from its target's current
// state, catching changes that happened before the pod was known.
func (c *Controller) syncReadinessGates(ctx context.Context, ingress string) {
	type item struct {
		group string
		ref   podRef
		state dataplane.TargetState
		why   string
	}
	var items []item
	c.mu.Lock()
	groups := map[string]*managedGroup{}
	for k, v := range c.groups {
		if v.ingress == ingress {
			groups[k] = v
		}
	}
	c.mu.Unlock()
	for name, mg := range groups {
		if mg.tg.Config().TargetType != awslb.TargetTypeIP {
			continue
		}
		for _, h := range mg.tg.Health() {
			c.mu.Lock()
			ref, ok := mg.pods[h.Target.Key()]
			c.mu.Unlock()
			if ok && h.State != dataplane.StateDraining {
				items = append(items, item{name, ref, h.State, h.Reason})
			}
		}
	}
	for _, it := range items {
		c.setGate(ctx, it.group, it.ref, it.state, it.why)
	}
}

// setGate patches the pod's target-health condition when the pod declares
// the gate and the status differs.
func (c *Controller) setGate(ctx context.Context, group string, ref podRef, state dataplane.TargetState, reason string) {
	if c.list.pods == nil {
		return
	}
	pod, err := c.list.pods.Pods(ref.ns).Get(ref.name)
	if err != nil {
		return
	}
	ct := corev1.PodConditionType(awslb.ReadinessGatePrefix + group)
	declared := false
	for _, g := range pod.Spec.ReadinessGates {
		declared = declared || g.ConditionType == ct
	}
	if !declared {
		return
	}
	status := corev1.ConditionFalse
	if state == dataplane.StateHealthy {
		status = corev1.ConditionTrue
	}
	if podCondition(pod, ct) == status {
		return
	}
	cond := corev1.PodCondition{
		Type: ct, Status: status, LastTransitionTime: metav1.Now(), LastProbeTime: metav1.Now(),
		Reason: reason, Message: fmt.Sprintf("target is %s in target group %s", state, group),
	}
	if status == corev1.ConditionTrue {
		cond.Reason, cond.Message = "", ""
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.PodCondition{cond}}})
	if _, err := c.cfg.Client.CoreV1().Pods(ref.ns).Patch(ctx, ref.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		c.log.Warn("readiness gate", "pod", ref.ns+"/"+ref.name, "condition", string(ct), "err", err)
		return
	}
	c.log.Info("readiness gate", "pod", ref.ns+"/"+ref.name, "condition", string(ct), "status", string(status))
}
