package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	chaosv1alpha1 "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/drillkit/drill/pkg/check"
	"github.com/drillkit/drill/pkg/cluster"
)

// ChaosMeshMissingError says the cluster does not serve a Chaos Mesh kind.
type ChaosMeshMissingError struct {
	Kind string
}

func (e *ChaosMeshMissingError) Error() string {
	return fmt.Sprintf("the cluster has no Chaos Mesh: it does not serve %s in %s; install Chaos Mesh (https://chaos-mesh.org/docs/production-installation-using-helm/) or use a fault that needs none",
		e.Kind, chaosv1alpha1.SchemeGroupVersion)
}

// chaosKinds lists the Chaos Mesh kinds drill can create.
func chaosKinds() []string {
	var out []string
	for k := range chaosv1alpha1.AllKinds() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// chaosObject builds and checks a Chaos Mesh object of kind with spec,
// decoding it strictly into the Chaos Mesh API types and running their
// validation, so that a mistake is reported before any load starts.
func chaosObject(kind, namespace, name string, spec map[string]any) (*unstructured.Unstructured, error) {
	k, ok := chaosv1alpha1.AllKinds()[kind]
	if !ok {
		msg := fmt.Sprintf("kind %q is not a Chaos Mesh kind; use one of %s", kind, strings.Join(chaosKinds(), ", "))
		if c := check.Closest(kind, chaosKinds()); c != "" {
			msg += fmt.Sprintf("; did you mean %q?", c)
		}
		return nil, errors.New(msg)
	}
	if name == "" {
		name = "drill-check"
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": chaosv1alpha1.SchemeGroupVersion.String(),
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec":       spec,
	}}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("%s spec: %w", kind, err)
	}
	obj := k.SpawnObject()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s spec does not fit the Chaos Mesh API: %w", kind, err)
	}
	// Validate is what the Chaos Mesh admission webhook runs on create.
	if v, ok := obj.(interface{ Validate() ([]string, error) }); ok {
		if _, err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s spec is invalid: %w", kind, err)
		}
	}
	return u, nil
}

// chaosResource finds the resource serving kind, or says the cluster has no
// Chaos Mesh.
func chaosResource(ctx context.Context, env *Env, kind string) (cluster.Object, error) {
	_ = ctx
	env.read("GET /apis/%s (discovery of Chaos Mesh)", chaosv1alpha1.SchemeGroupVersion)
	list, err := env.Cluster.Client.Discovery().ServerResourcesForGroupVersion(chaosv1alpha1.SchemeGroupVersion.String())
	if err != nil {
		if apierrors.IsNotFound(err) {
			return cluster.Object{}, &ChaosMeshMissingError{Kind: kind}
		}
		return cluster.Object{}, fmt.Errorf("look up Chaos Mesh: %w", err)
	}
	for _, r := range list.APIResources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			return cluster.Object{Resource: chaosv1alpha1.SchemeGroupVersion.WithResource(r.Name), Kind: kind}, nil
		}
	}
	return cluster.Object{}, &ChaosMeshMissingError{Kind: kind}
}

// createChaos creates u as o, which must already be journaled.
func createChaos(ctx context.Context, env *Env, o cluster.Object, u *unstructured.Unstructured) error {
	env.would("POST %s (create %s)", o.Resource.Resource, o)
	if env.DryRun {
		return nil
	}
	_, err := env.Cluster.Dynamic.Resource(o.Resource).Namespace(o.Namespace).Create(ctx, u, metav1.CreateOptions{FieldManager: cluster.FieldManager})
	if err != nil {
		return fmt.Errorf("create %s: %w", o, err)
	}
	env.note("fault", "created %s", o)
	return nil
}

// awaitInjected waits until Chaos Mesh reports o injected: its status
// condition AllInjected is True.
func awaitInjected(ctx context.Context, env *Env, o cluster.Object, timeout time.Duration) error {
	if env.DryRun {
		env.read("GET %s/%s until status.conditions AllInjected is True", o.Resource.Resource, o.Name)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var seen []string
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		u, err := env.Cluster.Dynamic.Resource(o.Resource).Namespace(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		seen = seen[:0]
		for _, c := range conds {
			m, _ := c.(map[string]any)
			typ, _ := m["type"].(string)
			status, _ := m["status"].(string)
			seen = append(seen, typ+"="+status)
			if typ == string(chaosv1alpha1.ConditionAllInjected) && status == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		state := "no conditions yet"
		if len(seen) > 0 {
			state = strings.Join(seen, ", ")
		}
		return fmt.Errorf("%s not injected within %s (%s): is the Chaos Mesh controller running? see kubectl describe %s %s -n %s: %w",
			o, timeout, state, strings.ToLower(o.Kind), o.Name, o.Namespace, err)
	}
	env.note("fault", "%s injected", o)
	return nil
}

// deleteChaos deletes o and waits until it is gone, that is until Chaos
// Mesh has recovered what it injected and removed its finalizer; gone
// already is fine.
func deleteChaos(ctx context.Context, env *Env, o cluster.Object) error {
	env.would("DELETE %s/%s in %s", o.Resource.Resource, o.Name, o.Namespace)
	if env.DryRun {
		return nil
	}
	res := env.Cluster.Dynamic.Resource(o.Resource).Namespace(o.Namespace)
	if err := res.Delete(ctx, o.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", o, err)
	}
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		_, err := res.Get(ctx, o.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("%s still exists (Chaos Mesh has not finished recovering it; kubectl describe %s %s -n %s): %w",
			o, strings.ToLower(o.Kind), o.Name, o.Namespace, err)
	}
	env.note("fault", "deleted %s", o)
	return nil
}
