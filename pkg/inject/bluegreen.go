package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/drillkit/drill/pkg/awslb"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// BlueGreen switches all traffic over to a second Service at the load
// balancer instead of changing a Service selector. A backend that names a
// forward action (alb.ingress.kubernetes.io/actions.NAME, weighted target
// groups) gets its weights shifted: the Service's target group, registered
// and healthy beforehand, takes every request at once. A plain backend is
// pointed at the Service, for which the controller creates a new target
// group. Recover puts the original backends and actions back.
type BlueGreen struct {
	Ingress   string `yaml:"ingress" json:"ingress" required:"true" doc:"Name of the Ingress to switch."`
	Namespace string `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the Ingress; empty means the target's namespace."`
	Service   string `yaml:"service" json:"service" required:"true" doc:"The Service to send the traffic to (green)."`
	Port      int32  `yaml:"port" json:"port,omitempty" min:"1" max:"65535" doc:"Port number of the new Service; empty keeps each backend's port (number or name)."`
	PortName  string `yaml:"portName" json:"portName,omitempty" doc:"Port name of the new Service, instead of port."`
	From      string `yaml:"from" json:"from,omitempty" doc:"Switch only the backends pointing at this Service (blue); empty means every Service backend of the Ingress."`
	// Original are the backends before Apply, journaled before the change.
	Original []BackendRef `yaml:"-" json:"original,omitempty"`
	// OriginalActions are the action annotations before Apply, by key.
	OriginalActions map[string]string `yaml:"-" json:"originalActions,omitempty"`
}

// BackendRef is one backend of an Ingress: the default backend (Rule -1) or
// path Path of rule Rule.
type BackendRef struct {
	Rule    int                         `json:"rule"`
	Path    int                         `json:"path"`
	Backend networkingv1.IngressBackend `json:"backend"`
}

// Name implements Fault.
func (f *BlueGreen) Name() string {
	return fmt.Sprintf("blueGreen ingress/%s to service/%s", f.Ingress, f.Service)
}

func (f *BlueGreen) Validate() error {
	if f.Port != 0 && f.PortName != "" {
		return fmt.Errorf("blueGreen: give port or portName, not both")
	}
	return nil
}

// Apply implements Fault.
func (f *BlueGreen) Apply(ctx context.Context, env *Env) error {
	if err := f.Validate(); err != nil {
		return err
	}
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	ings := env.Cluster.Client.NetworkingV1().Ingresses(ns)
	var switched int
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		env.read("GET ingresses/%s in %s", f.Ingress, ns)
		ing, err := ings.Get(ctx, f.Ingress, metav1.GetOptions{})
		if err != nil {
			return err
		}
		refs, actions, err := f.backends(ing)
		if err != nil {
			return err
		}
		if len(refs) == 0 && len(actions) == 0 {
			return fmt.Errorf("no backend of ingress %s/%s points at a Service%s", ns, f.Ingress, f.fromText())
		}
		if f.Original == nil && f.OriginalActions == nil && !env.DryRun {
			f.Original = refs
			f.OriginalActions = map[string]string{}
			for key := range actions {
				f.OriginalActions[key] = ing.Annotations[key]
			}
			env.changed(f)
		}
		for key, a := range actions {
			env.would("set ingress %s/%s annotation %s: every request to service %s", ns, f.Ingress, key, f.Service)
			ing.Annotations[key] = a
		}
		for _, r := range refs {
			b := backendAt(ing, r.Rule, r.Path)
			nb := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: f.Service, Port: b.Service.Port}}
			switch {
			case f.Port != 0:
				nb.Service.Port = networkingv1.ServiceBackendPort{Number: f.Port}
			case f.PortName != "":
				nb.Service.Port = networkingv1.ServiceBackendPort{Name: f.PortName}
			}
			env.would("set ingress %s/%s %s to %s", ns, f.Ingress, r.where(), backendText(nb))
			*b = nb
		}
		switched = len(refs) + len(actions)
		if env.DryRun {
			env.would("PUT ingresses/%s in %s", f.Ingress, ns)
			return nil
		}
		_, err = ings.Update(ctx, ing, metav1.UpdateOptions{FieldManager: "drill"})
		return err
	})
	if err != nil {
		return fmt.Errorf("blueGreen ingress %s/%s: %w", ns, f.Ingress, err)
	}
	if env.DryRun {
		return nil
	}
	env.note("fault", "ingress %s/%s: %d backend(s) or action(s) switched to service %s", ns, f.Ingress, switched, f.Service)
	return nil
}

// Recover implements Fault.
func (f *BlueGreen) Recover(ctx context.Context, env *Env) error {
	ns := f.ns(env)
	if len(f.Original) == 0 && len(f.OriginalActions) == 0 {
		if env.DryRun {
			env.would("PUT ingresses/%s in %s with the backends recorded by Apply", f.Ingress, ns)
		}
		return nil
	}
	ings := env.Cluster.Client.NetworkingV1().Ingresses(ns)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ing, err := ings.Get(ctx, f.Ingress, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, r := range f.Original {
			b := backendAt(ing, r.Rule, r.Path)
			if b == nil {
				return fmt.Errorf("%s no longer exists: the Ingress was changed by someone else; restore it to %s by hand", r.where(), backendText(r.Backend))
			}
			*b = *r.Backend.DeepCopy()
		}
		for key, v := range f.OriginalActions {
			if ing.Annotations == nil {
				ing.Annotations = map[string]string{}
			}
			ing.Annotations[key] = v
		}
		if env.DryRun {
			env.would("PUT ingresses/%s in %s with the original backends", f.Ingress, ns)
			return nil
		}
		_, err = ings.Update(ctx, ing, metav1.UpdateOptions{FieldManager: "drill"})
		return err
	})
	if apierrors.IsNotFound(err) {
		env.note("fault", "ingress %s/%s no longer exists: no backends to restore", ns, f.Ingress)
		return nil
	}
	if err != nil {
		return fmt.Errorf("blueGreen recover ingress %s/%s: %w", ns, f.Ingress, err)
	}
	if env.DryRun {
		return nil
	}
	env.note("fault", "ingress %s/%s: %d backend(s) and %d action(s) restored", ns, f.Ingress, len(f.Original), len(f.OriginalActions))
	return nil
}

// backends returns the Service backends of ing this fault switches, and
// the new JSON of each forward action it switches, by annotation key.
func (f *BlueGreen) backends(ing *networkingv1.Ingress) ([]BackendRef, map[string]string, error) {
	var out []BackendRef
	actions := map[string]string{}
	var errs []error
	take := func(rule, path int, b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil {
			return
		}
		if b.Service.Port.Name == awslb.UseAnnotation {
			key := awslb.AnnActionPrefix + b.Service.Name
			if _, done := actions[key]; done {
				return
			}
			switched, ok, err := f.switchAction(ing.Annotations, b.Service.Name)
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				actions[key] = switched
			}
			return
		}
		if f.From != "" && b.Service.Name != f.From {
			return
		}
		out = append(out, BackendRef{Rule: rule, Path: path, Backend: *b.DeepCopy()})
	}
	take(-1, 0, ing.Spec.DefaultBackend)
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j := range r.HTTP.Paths {
			take(i, j, &r.HTTP.Paths[j].Backend)
		}
	}
	return out, actions, errors.Join(errs...)
}

// switchAction returns the forward action name with every request going to
// the fault's Service, and whether the fault applies to it (with From set,
// only actions that include From are switched).
func (f *BlueGreen) switchAction(annotations map[string]string, name string) (string, bool, error) {
	a, err := awslb.ParseAction(annotations, name)
	if err != nil {
		return "", false, err
	}
	var found, from bool
	var names []string
	for i := range a.ForwardConfig.TargetGroups {
		g := &a.ForwardConfig.TargetGroups[i]
		names = append(names, g.ServiceName)
		w := 0
		if g.ServiceName == f.Service {
			w, found = 100, true
		}
		from = from || g.ServiceName == f.From
		g.Weight = &w
	}
	if f.From != "" && !from {
		return "", false, nil
	}
	if !found {
		return "", false, fmt.Errorf("service %s is not a target group of action %s (%s): add it with weight 0, so that its targets are registered and healthy before the switch", f.Service, name, strings.Join(names, ", "))
	}
	b, err := json.Marshal(a)
	return string(b), true, err
}

// backendAt returns the backend at rule/path of ing, nil if there is none.
func backendAt(ing *networkingv1.Ingress, rule, path int) *networkingv1.IngressBackend {
	if rule < 0 {
		return ing.Spec.DefaultBackend
	}
	if rule >= len(ing.Spec.Rules) || ing.Spec.Rules[rule].HTTP == nil || path >= len(ing.Spec.Rules[rule].HTTP.Paths) {
		return nil
	}
	return &ing.Spec.Rules[rule].HTTP.Paths[path].Backend
}

func (r BackendRef) where() string {
	if r.Rule < 0 {
		return "default backend"
	}
	return fmt.Sprintf("rule %d path %d", r.Rule+1, r.Path+1)
}

func backendText(b networkingv1.IngressBackend) string {
	if b.Service == nil {
		return "a non-Service backend"
	}
	if b.Service.Port.Name != "" {
		return "service " + b.Service.Name + ":" + b.Service.Port.Name
	}
	return fmt.Sprintf("service %s:%d", b.Service.Name, b.Service.Port.Number)
}

func (f *BlueGreen) fromText() string {
	if f.From == "" {
		return ""
	}
	return " named " + f.From
}

func (f *BlueGreen) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}
