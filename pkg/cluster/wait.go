package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// pollInterval is how often waits look again.
const pollInterval = 250 * time.Millisecond

// WaitReady waits until every Deployment among objs has rolled out: its
// latest generation observed and every replica updated and available. The
// caller bounds the wait through ctx; a rollout that stalls ends it sooner
// (see WaitRollout).
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

// WaitRollout waits until Deployment namespace/name has completed its
// rollout, or until the Deployment controller gives up on it
// (ProgressDeadlineExceeded): then the error carries the condition's
// message.
func (c *Cluster) WaitRollout(ctx context.Context, namespace, name string) error {
	var last *appsv1.Deployment
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		d, err := c.Client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = d
		if msg, stalled := Stalled(d); stalled {
			return false, fmt.Errorf("%w: %s", ErrStalled, msg)
		}
		return RolledOut(d), nil
	})
	if err != nil {
		state := "not found"
		if last != nil {
			s := last.Status
			state = fmt.Sprintf("%d/%d updated, %d available", s.UpdatedReplicas, want(last), s.AvailableReplicas)
		}
		return fmt.Errorf("deployment %s/%s did not roll out (%s): %w", namespace, name, state, causeOf(ctx, err))
	}
	return nil
}

// ErrStalled is the error of a rollout the Deployment controller has given
// up on: it exceeded the Deployment's progressDeadlineSeconds.
var ErrStalled = errors.New("rollout stalled (ProgressDeadlineExceeded)")

// Stalled reports whether d's current rollout exceeded its progress
// deadline, with the Progressing condition's message.
func Stalled(d *appsv1.Deployment) (string, bool) {
	if d.Status.ObservedGeneration < d.Generation {
		return "", false // the condition may speak of an older spec
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return c.Message, true
		}
	}
	return "", false
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

// waitGone waits until every one of objs is gone. When ctx ends first, the
// error names each object still there and the finalizers holding it.
func (c *Cluster) waitGone(ctx context.Context, objs []Object) error {
	left := objs
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		var still []Object
		for _, o := range left {
			_, err := c.client(o).Get(ctx, o.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return false, err
			}
			still = append(still, o)
		}
		left = still
		return len(left) == 0, nil
	})
	if err == nil {
		return nil
	}
	err = causeOf(ctx, err)
	// ctx may be over: a look of its own says what is left.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookTimeout)
	defer cancel()
	var errs []error
	for _, o := range left {
		if e := c.leftover(lctx, o); e != "" {
			errs = append(errs, fmt.Errorf("%s: %w", e, err))
		}
	}
	return errors.Join(errs...)
}

// lookTimeout bounds the look at what is left once a wait has ended.
const lookTimeout = 5 * time.Second

// leftover says how o is still there, "" when it is gone.
func (c *Cluster) leftover(ctx context.Context, o Object) string {
	u, err := c.client(o).Get(ctx, o.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return ""
	case err != nil:
		return fmt.Sprintf("%s not confirmed gone (%v)", o, err)
	case len(u.GetFinalizers()) > 0:
		return fmt.Sprintf("%s still exists, held by finalizers %s", o, strings.Join(u.GetFinalizers(), ", "))
	case u.GetDeletionTimestamp() == nil:
		return fmt.Sprintf("%s still exists, not deleted", o)
	default:
		return fmt.Sprintf("%s still exists, being deleted", o)
	}
}

// causeOf is err, or why ctx ended when it did (a bound named by the
// caller with context.WithTimeoutCause, or a cancellation cause).
func causeOf(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
