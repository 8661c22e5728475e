package inject

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// Scale changes a Deployment's replica count; Recover restores the count it
// had before.
type Scale struct {
	Deployment string `yaml:"deployment" json:"deployment" required:"true" doc:"Name of the Deployment to scale."`
	Namespace  string `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the Deployment; empty means the target's namespace."`
	Replicas   int    `yaml:"replicas" json:"replicas" required:"true" min:"0" doc:"Replica count to scale to."`
	Wait       bool   `yaml:"wait" json:"wait" default:"true" doc:"Wait until the Deployment has rolled out at the new count."`
	// Original is the replica count before Apply, restored by Recover.
	Original *int32 `yaml:"-" json:"original,omitempty"`
}

// Name implements Fault.
func (f *Scale) Name() string {
	return fmt.Sprintf("scale deployment/%s to %d", f.Deployment, f.Replicas)
}

// Apply implements Fault. The count it replaces is journaled before the
// change is made.
func (f *Scale) Apply(ctx context.Context, env *Env) error {
	if err := env.Allowed(ctx, f, f.ns(env)); err != nil {
		return err
	}
	before, err := f.set(ctx, env, int32(f.Replicas), func(current int32) {
		if f.Original == nil {
			f.Original = &current
			env.changed(f)
		}
	})
	if err != nil || env.DryRun {
		return err
	}
	env.note("fault", "deployment %s/%s scaled from %d to %d", f.ns(env), f.Deployment, before, f.Replicas)
	if f.Wait {
		return env.Cluster.WaitRollout(ctx, f.ns(env), f.Deployment)
	}
	return nil
}

// Recover implements Fault.
func (f *Scale) Recover(ctx context.Context, env *Env) error {
	if f.Original == nil {
		if env.DryRun {
			env.would("PUT deployments/%s/scale in %s with the replica count recorded by Apply", f.Deployment, f.ns(env))
		}
		return nil
	}
	if _, err := f.set(ctx, env, *f.Original, nil); err != nil || env.DryRun {
		return err
	}
	env.note("fault", "deployment %s/%s scaled back to %d", f.ns(env), f.Deployment, *f.Original)
	return env.Cluster.WaitRollout(ctx, f.ns(env), f.Deployment)
}

// set changes the scale to n, calling seen with the current count first, and
// returns the count it replaced.
func (f *Scale) set(ctx context.Context, env *Env, n int32, seen func(int32)) (int32, error) {
	deps := env.Cluster.Client.AppsV1().Deployments(f.ns(env))
	var before int32
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		env.read("GET deployments/%s/scale in %s", f.Deployment, f.ns(env))
		s, err := deps.GetScale(ctx, f.Deployment, metav1.GetOptions{})
		if err != nil {
			return err
		}
		before = s.Spec.Replicas
		if env.DryRun {
			env.would("PUT deployments/%s/scale in %s with replicas %d (was %d)", f.Deployment, f.ns(env), n, before)
			return nil
		}
		if seen != nil {
			seen(before)
			seen = nil
		}
		s.Spec.Replicas = n
		_, err = deps.UpdateScale(ctx, f.Deployment, s, metav1.UpdateOptions{FieldManager: "drill"})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("scale %s/%s: %w", f.ns(env), f.Deployment, err)
	}
	return before, nil
}

func (f *Scale) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}
