package ingress

import (
	"context"
	"fmt"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// updateStatus writes the ALB address into the Ingress status.
func (c *Controller) updateStatus(ctx context.Context, ing *networkingv1.Ingress) error {
	host, port, err := net.SplitHostPort(c.lb.Addr())
	if err != nil {
		return nil
	}
	p, _ := strconv.Atoi(port)
	want := []networkingv1.IngressLoadBalancerIngress{{IP: host, Ports: []networkingv1.IngressPortStatus{{Port: int32(p), Protocol: corev1.ProtocolTCP}}}}
	cur := ing.Status.LoadBalancer.Ingress
	if len(cur) == 1 && cur[0].IP == host && len(cur[0].Ports) == 1 && cur[0].Ports[0].Port == int32(p) {
		return nil
	}
	upd := ing.DeepCopy()
	upd.Status.LoadBalancer.Ingress = want
	if _, err := c.cfg.Client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		if !apierrors.IsConflict(err) {
			c.log.Warn("ingress status", "ingress", ingressKey(ing), "err", err)
		}
		return fmt.Errorf("ingress %s status: %w", ingressKey(ing), err)
	}
	return nil
}

func (c *Controller) event(ctx context.Context, ing *networkingv1.Ingress, reason, msg string) {
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: ing.Name + ".", Namespace: ing.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespace: ing.Namespace, Name: ing.Name, UID: ing.UID},
		Reason:         reason, Message: msg, Type: corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "drill-lab-alb"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := c.cfg.Client.CoreV1().Events(ing.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		c.log.Debug("event", "err", err)
	}
}
