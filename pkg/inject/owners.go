package inject

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Owner is the workload that brings a killed pod back: a Deployment,
// ReplicaSet, StatefulSet or DaemonSet.
type Owner struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (o Owner) String() string { return o.Kind + "/" + o.Name }

// ownerOf returns the workload controlling pod, looking through a
// ReplicaSet to its Deployment; ok is false for a pod nothing brings back.
func ownerOf(ctx context.Context, env *Env, pod *corev1.Pod) (Owner, bool, error) {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return Owner{}, false, nil
	}
	switch ref.Kind {
	case "ReplicaSet":
		rs, err := env.Cluster.Client.AppsV1().ReplicaSets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return Owner{}, false, fmt.Errorf("owner of pod %s: %w", pod.Name, err)
		}
		if d := metav1.GetControllerOf(rs); d != nil && d.Kind == "Deployment" {
			return Owner{Kind: "Deployment", Name: d.Name}, true, nil
		}
		return Owner{Kind: "ReplicaSet", Name: ref.Name}, true, nil
	case "StatefulSet", "DaemonSet":
		return Owner{Kind: ref.Kind, Name: ref.Name}, true, nil
	}
	return Owner{}, false, nil
}

// desired returns owner's pod selector and the number of ready pods it
// should have.
func desired(ctx context.Context, env *Env, namespace string, o Owner) (*metav1.LabelSelector, int, error) {
	apps := env.Cluster.Client.AppsV1()
	one := func(p *int32) int {
		if p == nil {
			return 1
		}
		return int(*p)
	}
	switch o.Kind {
	case "Deployment":
		d, err := apps.Deployments(namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return nil, 0, err
		}
		return d.Spec.Selector, one(d.Spec.Replicas), nil
	case "ReplicaSet":
		rs, err := apps.ReplicaSets(namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return nil, 0, err
		}
		return rs.Spec.Selector, one(rs.Spec.Replicas), nil
	case "StatefulSet":
		s, err := apps.StatefulSets(namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return nil, 0, err
		}
		return s.Spec.Selector, one(s.Spec.Replicas), nil
	case "DaemonSet":
		ds, err := apps.DaemonSets(namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return nil, 0, err
		}
		return ds.Spec.Selector, int(ds.Status.DesiredNumberScheduled), nil
	}
	return nil, 0, fmt.Errorf("%s: not a workload drill waits for", o)
}

// waitOwners waits until every owner has as many ready, not terminating pods
// as it wants, not counting the pods in killed (still shutting down). An
// owner deleted meanwhile has nothing to wait for.
func waitOwners(ctx context.Context, env *Env, namespace string, owners []Owner, killed []types.UID) error {
	for _, o := range owners {
		var have, want int
		gone := false
		err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			sel, n, err := desired(ctx, env, namespace, o)
			if apierrors.IsNotFound(err) {
				gone = true
				return true, nil
			}
			if err != nil {
				return false, err
			}
			s, err := metav1.LabelSelectorAsSelector(sel)
			if err != nil {
				return false, err
			}
			pods, err := env.Cluster.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: s.String()})
			if err != nil {
				return false, err
			}
			have, want = 0, n
			for i := range pods.Items {
				p := &pods.Items[i]
				if p.DeletionTimestamp == nil && !slices.Contains(killed, p.UID) && podReady(p) {
					have++
				}
			}
			return have >= want, nil
		})
		if gone {
			env.note("fault", "%s in %s no longer exists: nothing to wait for", o, namespace)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s in %s is not back to %d ready pods (%d ready): %w", o, namespace, want, have, err)
		}
		env.note("fault", "%s in %s back to %d ready pods", o, namespace, want)
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pollInterval is how often faults look again while they wait.
const pollInterval = 250 * time.Millisecond
