package alb

import (
	"encoding/json"
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Actions: an Ingress backend whose service port name is UseAnnotation
// names an action, defined in the annotation AnnActionPrefix+<name>, as the
// AWS Load Balancer Controller does. The lab ALB supports forward actions
// over Services with weights: the usual way to run blue-green and canary
// releases behind an ALB.
const (
	UseAnnotation   = "use-annotation"
	AnnActionPrefix = AnnotationPrefix + "actions."
	// maxForwardGroups is the most target groups one forward action takes.
	maxForwardGroups = 10
)

// Action is the JSON of an actions annotation (forward actions only).
type Action struct {
	Type          string         `json:"type"`
	ForwardConfig *ForwardConfig `json:"forwardConfig,omitempty"`
}

// ForwardConfig lists the target groups of a forward action.
type ForwardConfig struct {
	TargetGroups []ForwardTarget `json:"targetGroups"`
}

// ForwardTarget is one Service of a forward action and its weight (0-999,
// 1 when left out).
type ForwardTarget struct {
	ServiceName    string              `json:"serviceName,omitempty"`
	ServicePort    *intstr.IntOrString `json:"servicePort,omitempty"`
	TargetGroupARN string              `json:"targetGroupARN,omitempty"`
	Weight         *int                `json:"weight,omitempty"`
}

// weightedBackend is a Service backend of a rule and its weight.
type weightedBackend struct {
	backend *networkingv1.IngressServiceBackend
	weight  int
}

// isAction reports whether an Ingress backend refers to an action.
func isAction(b *networkingv1.IngressServiceBackend) bool {
	return b.Port.Name == UseAnnotation
}

// ParseAction reads the forward action named by an Ingress backend from
// the Ingress's annotations, reporting every problem.
func ParseAction(annotations map[string]string, name string) (Action, error) {
	key := AnnActionPrefix + name
	raw, ok := annotations[key]
	if !ok {
		return Action{}, fmt.Errorf("backend %s uses port %s but the Ingress has no annotation %s", name, UseAnnotation, key)
	}
	var a Action
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return Action{}, fmt.Errorf("%s: %w", key, err)
	}
	if a.Type != "forward" || a.ForwardConfig == nil {
		return Action{}, fmt.Errorf("%s: type %q: the lab ALB supports only forward actions with forwardConfig", key, a.Type)
	}
	groups := a.ForwardConfig.TargetGroups
	var errs []error
	if len(groups) == 0 || len(groups) > maxForwardGroups {
		errs = append(errs, fmt.Errorf("%s: %d target groups: use 1 to %d", key, len(groups), maxForwardGroups))
	}
	for i, g := range groups {
		switch {
		case g.TargetGroupARN != "":
			errs = append(errs, fmt.Errorf("%s: targetGroups[%d]: targetGroupARN is not supported by the lab ALB; use serviceName and servicePort", key, i))
		case g.ServiceName == "" || g.ServicePort == nil:
			errs = append(errs, fmt.Errorf("%s: targetGroups[%d]: serviceName and servicePort are required", key, i))
		}
		if g.Weight != nil && (*g.Weight < 0 || *g.Weight > MaxWeight) {
			errs = append(errs, fmt.Errorf("%s: targetGroups[%d]: weight %d: use 0-%d", key, i, *g.Weight, MaxWeight))
		}
	}
	if len(errs) > 0 {
		return Action{}, errors.Join(errs...)
	}
	return a, nil
}

// backends returns the action's Services with their weights.
func (a Action) backends() []weightedBackend {
	out := make([]weightedBackend, 0, len(a.ForwardConfig.TargetGroups))
	for _, g := range a.ForwardConfig.TargetGroups {
		b := &networkingv1.IngressServiceBackend{Name: g.ServiceName}
		// "80" names port 80, as in the controller's own examples.
		if p := intstr.Parse(g.ServicePort.String()); p.Type == intstr.Int {
			b.Port.Number = p.IntVal
		} else {
			b.Port.Name = p.StrVal
		}
		w := 1
		if g.Weight != nil {
			w = *g.Weight
		}
		out = append(out, weightedBackend{backend: b, weight: w})
	}
	return out
}
