package inject

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// RestartedAtAnnotation is the pod template annotation a rollingUpdate sets,
// as `kubectl rollout restart` sets its own.
const RestartedAtAnnotation = "drill.dev/restartedAt"

// RollingUpdate restarts a Deployment's pods by a rolling update and waits
// for the rollout to complete. A restart cannot be undone: Recover only
// waits for a rollout still under way.
type RollingUpdate struct {
	Deployment string `yaml:"deployment" json:"deployment" required:"true" doc:"Name of the Deployment to restart."`
	Namespace  string `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the Deployment; empty means the target's namespace."`
	Wait       bool   `yaml:"wait" json:"wait" default:"true" doc:"Wait until the rollout completed before the next fault."`
	// Applied is set once the restart was requested.
	Applied bool `yaml:"-" json:"applied"`
}

// Name implements Fault.
func (f *RollingUpdate) Name() string { return "rollingUpdate deployment/" + f.Deployment }

// Apply implements Fault.
func (f *RollingUpdate) Apply(ctx context.Context, env *Env) error {
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{RestartedAtAnnotation: time.Now().UTC().Format(time.RFC3339Nano)},
	}}}})
	if err != nil {
		return err
	}
	env.would("PATCH deployments/%s in %s (strategic merge) %s", f.Deployment, ns, patch)
	if env.DryRun {
		return nil
	}
	if _, err := env.Cluster.Client.AppsV1().Deployments(ns).Patch(ctx, f.Deployment, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: "drill"}); err != nil {
		return fmt.Errorf("rollingUpdate %s/%s: %w", ns, f.Deployment, err)
	}
	f.Applied = true
	env.changed(f)
	env.note("fault", "rolling update of deployment %s/%s started", ns, f.Deployment)
	if !f.Wait {
		return nil
	}
	if err := env.Cluster.WaitRollout(ctx, ns, f.Deployment); err != nil {
		return fmt.Errorf("rollingUpdate: %w", err)
	}
	env.note("fault", "rolling update of deployment %s/%s completed", ns, f.Deployment)
	return nil
}

// Recover implements Fault: it lets a rollout still under way finish, so the
// next run starts from a settled Deployment.
func (f *RollingUpdate) Recover(ctx context.Context, env *Env) error {
	if !f.Applied {
		return nil
	}
	return env.Cluster.WaitRollout(ctx, f.ns(env), f.Deployment)
}

func (f *RollingUpdate) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}
