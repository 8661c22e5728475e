package inject

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// BlueGreen points an Ingress's backends at a second Service, switching all
// traffic over at the load balancer instead of changing a Service selector;
// Recover puts the original backends back.
type BlueGreen struct {
	Ingress   string `yaml:"ingress" json:"ingress" required:"true" doc:"Name of the Ingress to switch."`
	Namespace string `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the Ingress; empty means the target's namespace."`
	Service   string `yaml:"service" json:"service" required:"true" doc:"The Service to send the traffic to (green)."`
	Port      int32  `yaml:"port" json:"port,omitempty" min:"1" max:"65535" doc:"Port number of the new Service; empty keeps each backend's port (number or name)."`
	PortName  string `yaml:"portName" json:"portName,omitempty" doc:"Port name of the new Service, instead of port."`
	From      string `yaml:"from" json:"from,omitempty" doc:"Switch only the backends pointing at this Service (blue); empty means every Service backend of the Ingress."`
	// Original are the backends before Apply, journaled before the change.
	Original []BackendRef `yaml:"-" json:"original,omitempty"`
}

// BackendRef is one backend of an Ingress: the default backend (Rule -1) or
// path Path of rule Rule.
type BackendRef struct {
	Rule    int                         `json:"rule"`
	Path    int                         `json:"path"`
	Backend networkingv1.IngressBackend `json:"backend"`
}

// Action implements Fault.
func (f *BlueGreen) Action() string { return "blueGreen" }

// Name implements Fault.
func (f *BlueGreen) Name() string {
	return fmt.Sprintf("blueGreen ingress/%s to service/%s", f.Ingress, f.Service)
}

func (f *BlueGreen) validate() error {
	if f.Port != 0 && f.PortName != "" {
		return fmt.Errorf("blueGreen: give port or portName, not both")
	}
	return nil
}

// Apply implements Fault.
func (f *BlueGreen) Apply(ctx context.Context, env *Env) error {
	if err := f.validate(); err != nil {
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
		refs := f.backends(ing)
		if len(refs) == 0 {
			return fmt.Errorf("no backend of ingress %s/%s points at a Service%s", ns, f.Ingress, f.fromText())
		}
		if f.Original == nil && !env.DryRun {
			f.Original = refs
			env.changed(f)
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
		switched = len(refs)
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
	env.note("fault", "ingress %s/%s: %d backend(s) switched to service %s", ns, f.Ingress, switched, f.Service)
	return nil
}

// Recover implements Fault.
func (f *BlueGreen) Recover(ctx context.Context, env *Env) error {
	ns := f.ns(env)
	if len(f.Original) == 0 {
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
	env.note("fault", "ingress %s/%s: %d backend(s) restored", ns, f.Ingress, len(f.Original))
	return nil
}

// backends returns the Service backends of ing this fault switches.
func (f *BlueGreen) backends(ing *networkingv1.Ingress) []BackendRef {
	var out []BackendRef
	take := func(rule, path int, b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil || f.From != "" && b.Service.Name != f.From {
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
	return out
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
