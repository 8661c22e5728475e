package inject

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scale changes a Deployment's replica count; Recover restores the count it
// had before.
type Scale struct {
	Deployment string `yaml:"deployment" required:"true" doc:"Name of the Deployment to scale."`
	Namespace  string `yaml:"namespace" doc:"Namespace of the Deployment; empty means the target's namespace."`
	Replicas   int    `yaml:"replicas" required:"true" min:"0" doc:"Replica count to scale to."`
	Wait       bool   `yaml:"wait" default:"true" doc:"Wait until the Deployment has rolled out at the new count."`
	original   *int32
}

// Name implements Fault.
func (f *Scale) Name() string {
	return fmt.Sprintf("scale deployment/%s to %d", f.Deployment, f.Replicas)
}

// Apply implements Fault.
func (f *Scale) Apply(ctx context.Context, env *Env) error {
	ns := f.ns(env)
	before, err := f.set(ctx, env, int32(f.Replicas))
	if err != nil {
		return err
	}
	if f.original == nil {
		f.original = &before
	}
	env.note("fault", "deployment %s/%s scaled from %d to %d", ns, f.Deployment, before, f.Replicas)
	if f.Wait {
		return env.Cluster.WaitRollout(ctx, ns, f.Deployment)
	}
	return nil
}

// Recover implements Fault.
func (f *Scale) Recover(ctx context.Context, env *Env) error {
	if f.original == nil {
		return nil
	}
	if _, err := f.set(ctx, env, *f.original); err != nil {
		return err
	}
	env.note("fault", "deployment %s/%s scaled back to %d", f.ns(env), f.Deployment, *f.original)
	return env.Cluster.WaitRollout(ctx, f.ns(env), f.Deployment)
}

// set changes the scale and returns the replica count it replaced.
func (f *Scale) set(ctx context.Context, env *Env, n int32) (int32, error) {
	deps := env.Cluster.Client.AppsV1().Deployments(f.ns(env))
	s, err := deps.GetScale(ctx, f.Deployment, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("scale %s/%s: %w", f.ns(env), f.Deployment, err)
	}
	before := s.Spec.Replicas
	s.Spec.Replicas = n
	if _, err := deps.UpdateScale(ctx, f.Deployment, s, metav1.UpdateOptions{FieldManager: "drill"}); err != nil {
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
