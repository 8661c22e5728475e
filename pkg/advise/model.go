package advise

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/drillkit/drill/pkg/awslb"
)

// front is a load balancer in front of a Deployment's pods.
type front struct {
	lb      Object               // the Ingress, or the Service of type LoadBalancer
	service Item[corev1.Service] // the Service that selects the pods
	alb     *albSettings         // nil: not an ALB of the AWS Load Balancer Controller
	// targetType is ip or instance; "" where unknown.
	targetType string
}

// String names the load balancer for a finding's reason.
func (f front) String() string {
	s := f.lb.String()
	if f.lb.Kind == "Ingress" {
		s += " (Service " + f.service.Name + ")"
	}
	if f.targetType != "" {
		s += ", " + f.targetType + " targets"
	}
	return s
}

// workload is a Deployment with what serves its pods.
type workload struct {
	Item[appsv1.Deployment]
	services []Item[corev1.Service] // selecting its pods
	fronts   []front
}

// pod is the Deployment's pod template.
func (w *workload) pod() *corev1.PodTemplateSpec { return &w.V.Spec.Template }

// podAt is the Deployment's object at a path below the pod template's spec.
func (w *workload) podAt(path ...any) Object {
	return w.At(append([]any{"spec", "template", "spec"}, path...)...)
}

// albFronts are the fronts that are ALBs.
func (w *workload) albFronts() []front {
	var out []front
	for _, f := range w.fronts {
		if f.alb != nil {
			out = append(out, f)
		}
	}
	return out
}

// model is the manifests as the rules see them.
type model struct {
	opts      Options
	m         *Manifests
	workloads []*workload
}

// newModel links every Deployment to the Services selecting its pods and
// to the load balancers in front of those. Annotations that cannot be read
// are errors.
func newModel(m *Manifests, opts Options) (*model, error) {
	md := &model{opts: opts, m: m}
	var errs []error
	for _, d := range m.Deployments {
		w := &workload{Item: d}
		if _, _, _, err := w.annotationDuration(AnnDrainTimeout); err != nil {
			errs = append(errs, err)
		}
		if _, _, _, _, err := w.keepAlive(); err != nil {
			errs = append(errs, err)
		}
		for _, s := range m.Services {
			if selects(s, d) {
				w.services = append(w.services, s)
				if s.V.Spec.Type == corev1.ServiceTypeLoadBalancer {
					w.fronts = append(w.fronts, front{lb: s.Object, service: s, targetType: s.V.Annotations[annNLBTargetType]})
				}
			}
		}
		md.workloads = append(md.workloads, w)
	}
	for _, ing := range m.Ingresses {
		names, err := backendServices(ing)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		isALB := md.isALB(ing)
		for _, w := range md.workloads {
			for _, s := range w.services {
				if s.Namespace != ing.Namespace || !slices.Contains(names, s.Name) {
					continue
				}
				f := front{lb: ing.Object, service: s}
				if isALB {
					a, aerrs := readALB(ing, s)
					errs = append(errs, aerrs...)
					f.alb, f.targetType = &a, a.targetType
				}
				w.fronts = append(w.fronts, f)
			}
		}
	}
	return md, errors.Join(errs...)
}

// selects tells whether Service s selects the pods of Deployment d.
func selects(s Item[corev1.Service], d Item[appsv1.Deployment]) bool {
	sel := s.V.Spec.Selector
	return s.Namespace == d.Namespace && len(sel) > 0 &&
		labels.SelectorFromSet(sel).Matches(labels.Set(d.V.Spec.Template.Labels))
}

// isALB tells whether the AWS Load Balancer Controller serves ing: its
// class is alb or an IngressClass of the controller, or the EKS defaults
// apply to every Ingress.
func (md *model) isALB(ing Item[networkingv1.Ingress]) bool {
	if md.opts.IngressDefaults == IngressDefaultsEKS {
		return true
	}
	class := ing.V.Annotations[awslb.AnnIngressClassDeprecated]
	if c := ing.V.Spec.IngressClassName; c != nil {
		class = *c
	}
	if class == awslb.IngressClassALB {
		return true
	}
	for _, ic := range md.m.IngressClasses {
		if ic.Name == class && ic.V.Spec.Controller == awslb.IngressController {
			return true
		}
	}
	return false
}

// backendServices names the Services ing sends traffic to, forward actions
// included.
func backendServices(ing Item[networkingv1.Ingress]) ([]string, error) {
	var backends []*networkingv1.IngressServiceBackend
	if b := ing.V.Spec.DefaultBackend; b != nil {
		backends = append(backends, b.Service)
	}
	for _, r := range ing.V.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			backends = append(backends, p.Backend.Service)
		}
	}
	var names []string
	for _, b := range backends {
		switch {
		case b == nil:
		case b.Port.Name == awslb.UseAnnotation:
			key := awslb.AnnActionPrefix + b.Name
			raw, ok := ing.V.Annotations[key]
			if !ok {
				at := ing.At("metadata", "annotations")
				return nil, fmt.Errorf("%s:%d: %s: backend %s uses port %s but there is no annotation %s", at.File, at.Line, ing.Object, b.Name, awslb.UseAnnotation, key)
			}
			var a awslb.Action
			if err := json.Unmarshal([]byte(raw), &a); err != nil {
				at := ing.At("metadata", "annotations", key)
				return nil, fmt.Errorf("%s:%d: %s: %s: %v", at.File, at.Line, ing.Object, key, err)
			}
			if a.ForwardConfig != nil {
				for _, tg := range a.ForwardConfig.TargetGroups {
					if tg.ServiceName != "" {
						names = append(names, tg.ServiceName)
					}
				}
			}
		default:
			names = append(names, b.Name)
		}
	}
	return names, nil
}
