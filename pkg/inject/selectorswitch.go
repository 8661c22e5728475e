package inject

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// SelectorSwitch replaces a Service's selector, pointing it at other pods;
// Recover puts the original selector back.
type SelectorSwitch struct {
	Service   string            `yaml:"service" json:"service" required:"true" doc:"Name of the Service whose selector to replace."`
	Namespace string            `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the Service; empty means the target's namespace."`
	Selector  map[string]string `yaml:"selector" json:"selector" required:"true" doc:"The new selector, replacing the whole current one, e.g. {app: web, track: green}."`
	// Original is the selector before Apply, journaled before the change.
	Original map[string]string `yaml:"-" json:"original,omitempty"`
	// Recorded says Original holds the selector (a Service may have none).
	Recorded bool `yaml:"-" json:"recorded,omitempty"`
}

// Name implements Fault.
func (f *SelectorSwitch) Name() string {
	return fmt.Sprintf("selectorSwitch service/%s to %s", f.Service, selectorText(f.Selector))
}

func (f *SelectorSwitch) Validate() error {
	if len(f.Selector) == 0 {
		return fmt.Errorf("selectorSwitch selector is empty: a Service without selector gets no endpoints from Kubernetes; give the labels of the new pods")
	}
	return nil
}

// Apply implements Fault.
func (f *SelectorSwitch) Apply(ctx context.Context, env *Env) error {
	if err := f.Validate(); err != nil {
		return err
	}
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	before, err := f.set(ctx, env, f.Selector, func(current map[string]string) {
		if !f.Recorded {
			f.Original, f.Recorded = current, true
			env.changed(f)
		}
	})
	if err != nil || env.DryRun {
		return err
	}
	env.note("fault", "service %s/%s selector %s → %s", ns, f.Service, selectorText(before), selectorText(f.Selector))
	return nil
}

// Recover implements Fault.
func (f *SelectorSwitch) Recover(ctx context.Context, env *Env) error {
	if !f.Recorded {
		if env.DryRun {
			env.would("PUT services/%s in %s with the selector recorded by Apply", f.Service, f.ns(env))
		}
		return nil
	}
	_, err := f.set(ctx, env, f.Original, nil)
	if apierrors.IsNotFound(err) {
		env.note("fault", "service %s/%s no longer exists: no selector to restore", f.ns(env), f.Service)
		return nil
	}
	if err != nil || env.DryRun {
		return err
	}
	env.note("fault", "service %s/%s selector back to %s", f.ns(env), f.Service, selectorText(f.Original))
	return nil
}

// set replaces the selector with sel, calling seen with the current one
// before changing it, and returns the selector it replaced. In a dry run it
// only reads.
func (f *SelectorSwitch) set(ctx context.Context, env *Env, sel map[string]string, seen func(map[string]string)) (map[string]string, error) {
	ns := f.ns(env)
	svcs := env.Cluster.Client.CoreV1().Services(ns)
	var before map[string]string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		env.read("GET services/%s in %s", f.Service, ns)
		svc, err := svcs.Get(ctx, f.Service, metav1.GetOptions{})
		if err != nil {
			return err
		}
		before = svc.Spec.Selector
		if env.DryRun {
			env.would("PUT services/%s in %s with spec.selector %s (was %s)", f.Service, ns, selectorText(sel), selectorText(before))
			return nil
		}
		if seen != nil {
			seen(maps.Clone(before))
			seen = nil
		}
		if maps.Equal(before, sel) {
			return nil
		}
		svc.Spec.Selector = maps.Clone(sel)
		_, err = svcs.Update(ctx, svc, metav1.UpdateOptions{FieldManager: "drill"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("selectorSwitch service %s/%s: %w", ns, f.Service, err)
	}
	return before, nil
}

func (f *SelectorSwitch) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}

// selectorText prints a selector as k=v,k=v in key order.
func selectorText(sel map[string]string) string {
	if len(sel) == 0 {
		return "(none)"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		parts = append(parts, k+"="+sel[k])
	}
	return strings.Join(parts, ",")
}
