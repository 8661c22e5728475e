package cluster

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// pollInterval is how often waits look again.
const pollInterval = 250 * time.Millisecond

// WaitReady waits until every Deployment among objs has rolled out: its
// latest generation observed and every replica updated and available.
func (c *Cluster) WaitReady(ctx context.Context, objs []Object) error {
	for _, o := range objs {
		if o.Kind != "Deployment" {
			continue
		}
		if err := c.WaitRollout(ctx, o.Namespace, o.Name); err != nil {
			return err
		}
	}
	return nil
}

// WaitRollout waits until Deployment namespace/name has completed its rollout.
func (c *Cluster) WaitRollout(ctx context.Context, namespace, name string) error {
	var last *appsv1.Deployment
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		d, err := c.Client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = d
		return RolledOut(d), nil
	})
	if err != nil {
		state := "not found"
		if last != nil {
			s := last.Status
			state = fmt.Sprintf("%d/%d updated, %d available", s.UpdatedReplicas, want(last), s.AvailableReplicas)
		}
		return fmt.Errorf("deployment %s/%s did not roll out (%s): %w", namespace, name, state, err)
	}
	return nil
}

// RolledOut reports whether d's latest spec is fully rolled out and available.
func RolledOut(d *appsv1.Deployment) bool {
	s := d.Status
	n := want(d)
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == n && s.Replicas == n && s.AvailableReplicas == n
}

func want(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func (c *Cluster) waitGone(ctx context.Context, o Object) error {
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		_, err := c.client(o).Get(ctx, o.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("%s still exists: %w", o, err)
	}
	return nil
}
