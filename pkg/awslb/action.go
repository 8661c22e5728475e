package awslb

import (
	"encoding/json"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Actions: an Ingress backend whose service port name is UseAnnotation
// names an action, defined in the annotation AnnActionPrefix+<name>. drill
// supports forward actions over Services with weights: the usual way to run
// blue-green and canary releases behind an ALB.
const (
	UseAnnotation   = "use-annotation"
	AnnActionPrefix = AnnotationPrefix + "actions."
	// MaxForwardGroups is the most target groups one forward action takes.
	MaxForwardGroups = 10
	// MaxWeight is the highest weight of a target group in a forward action.
	MaxWeight = 999
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
		return Action{}, fmt.Errorf("%s: type %q: drill supports only forward actions with forwardConfig", key, a.Type)
	}
	groups := a.ForwardConfig.TargetGroups
	var errs []error
	if len(groups) == 0 || len(groups) > MaxForwardGroups {
		errs = append(errs, fmt.Errorf("%s: %d target groups: use 1 to %d", key, len(groups), MaxForwardGroups))
	}
	for i, g := range groups {
		switch {
		case g.TargetGroupARN != "":
			errs = append(errs, fmt.Errorf("%s: targetGroups[%d]: targetGroupARN is not supported; use serviceName and servicePort", key, i))
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
