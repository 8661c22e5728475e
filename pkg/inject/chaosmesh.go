package inject

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/drillkit/drill/pkg/cluster"
)

// ChaosMesh creates any Chaos Mesh object (PodChaos, NetworkChaos,
// StressChaos, ...) from a spec embedded in the scenario, waits until Chaos
// Mesh reports it injected, and deletes it on Recover, which makes Chaos Mesh
// undo it.
type ChaosMesh struct {
	Kind       string        `yaml:"kind" json:"kind" required:"true" doc:"Chaos Mesh kind, e.g. PodChaos, NetworkChaos, StressChaos, HTTPChaos."`
	ObjectName string        `yaml:"name" json:"name,omitempty" doc:"Name of the object; empty means drill-<kind>-<random suffix>."`
	Namespace  string        `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the object; empty means the target's namespace."`
	Spec       yaml.Node     `yaml:"spec" json:"-" required:"true" doc:"The object's spec, exactly as in the Chaos Mesh documentation of kind."`
	Timeout    time.Duration `yaml:"timeout" json:"timeout" default:"60s" doc:"How long to wait until Chaos Mesh reports the fault injected (condition AllInjected)."`
	// Body is the spec as decoded from the scenario.
	Body map[string]any `yaml:"-" json:"spec,omitempty"`
	// Created names the object, journaled before it is created.
	Created *cluster.Object `yaml:"-" json:"created,omitempty"`
}

// Name implements Fault.
func (f *ChaosMesh) Name() string {
	switch {
	case f.Created != nil:
		return "chaosMesh " + f.Kind + "/" + f.Created.Name
	case f.ObjectName != "":
		return "chaosMesh " + f.Kind + "/" + f.ObjectName
	}
	return "chaosMesh " + f.Kind
}

func (f *ChaosMesh) Validate() error {
	if f.Body == nil {
		if err := f.Spec.Decode(&f.Body); err != nil {
			return fmt.Errorf("chaosMesh spec: %w", err)
		}
	}
	if f.Body == nil {
		return fmt.Errorf("chaosMesh spec is empty: give the %s spec as in the Chaos Mesh documentation", f.Kind)
	}
	if f.Timeout <= 0 {
		return fmt.Errorf("chaosMesh timeout must be positive, got %s", f.Timeout)
	}
	_, err := chaosObject(f.Kind, "default", f.ObjectName, f.Body)
	return err
}

// Apply implements Fault.
func (f *ChaosMesh) Apply(ctx context.Context, env *Env) error {
	if err := f.Validate(); err != nil {
		return err
	}
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	for _, other := range selectorNamespaces(f.Body) {
		if err := env.Allowed(ctx, f, other); err != nil {
			return err
		}
	}
	o, err := chaosResource(ctx, env, f.Kind)
	if err != nil {
		return fmt.Errorf("chaosMesh: %w", err)
	}
	name := f.ObjectName
	if name == "" {
		name = "drill-" + strings.ToLower(f.Kind) + "-" + suffix()
	}
	u, err := chaosObject(f.Kind, ns, name, f.Body)
	if err != nil {
		return err
	}
	o.Namespace, o.Name = ns, name
	if !env.DryRun {
		f.Created = &o
		env.changed(f)
	}
	if err := createChaos(ctx, env, o, u); err != nil {
		return err
	}
	return awaitInjected(ctx, env, o, f.Timeout)
}

// Recover implements Fault: it deletes the object, which makes Chaos Mesh
// recover what it injected.
func (f *ChaosMesh) Recover(ctx context.Context, env *Env) error {
	if f.Created == nil {
		if env.DryRun {
			env.would("DELETE the %s created by Apply", f.Kind)
		}
		return nil
	}
	return deleteChaos(ctx, env, *f.Created)
}

func (f *ChaosMesh) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}

// selectorNamespaces returns spec.selector.namespaces of a Chaos Mesh spec:
// the namespaces it acts in besides its own.
func selectorNamespaces(spec map[string]any) []string {
	sel, _ := spec["selector"].(map[string]any)
	list, _ := sel["namespaces"].([]any)
	var out []string
	for _, n := range list {
		if s, ok := n.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// suffix returns a short random name suffix.
func suffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
