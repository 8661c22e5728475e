package ingress

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/drillkit/drill/pkg/awslb"
)

// weightedBackend is a Service backend of a rule and its weight.
type weightedBackend struct {
	backend *networkingv1.IngressServiceBackend
	weight  int
}

// isAction reports whether an Ingress backend refers to an action.
func isAction(b *networkingv1.IngressServiceBackend) bool {
	return b.Port.Name == awslb.UseAnnotation
}

// serviceBackends returns the Services a backend sends requests to, with
// their weights: its own Service, or those of the forward action it names.
func serviceBackends(ing *networkingv1.Ingress, b *networkingv1.IngressServiceBackend) ([]weightedBackend, error) {
	if !isAction(b) {
		return []weightedBackend{{backend: b, weight: 1}}, nil
	}
	a, err := awslb.ParseAction(ing.Annotations, b.Name)
	if err != nil {
		return nil, err
	}
	return actionBackends(a), nil
}

// actionBackends returns a forward action's Services with their weights.
func actionBackends(a awslb.Action) []weightedBackend {
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
