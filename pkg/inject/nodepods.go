package inject

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Node workloads: the faults that act inside nodes' network namespaces
// (conntrackFlood, conntrackFlush) run a drill subcommand in a hostNetwork
// pod on each target node. This file holds what they share.

// validateNodes checks a node workload's choice of nodes.
func validateNodes(action string, nodes []string, podSelector string) []error {
	var errs []error
	if len(nodes) == 0 && podSelector == "" {
		errs = append(errs, fmt.Errorf("%s needs nodes (node names) or podSelector (the nodes of these pods)", action))
	}
	if len(nodes) > 0 && podSelector != "" {
		errs = append(errs, fmt.Errorf("%s: give nodes or podSelector, not both", action))
	}
	if podSelector != "" {
		if _, err := metav1.ParseToLabelSelector(podSelector); err != nil {
			errs = append(errs, fmt.Errorf("%s podSelector: %w", action, err))
		}
	}
	return errs
}

// targetNodes returns the nodes a node workload acts on: the named ones, or
// those running the pods of podSelector in ns.
func targetNodes(ctx context.Context, env *Env, action, ns string, nodes []string, podSelector string) ([]string, error) {
	if len(nodes) > 0 {
		return nodes, nil
	}
	env.read("GET pods in %s -l %s", ns, podSelector)
	pods, err := env.Cluster.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: podSelector})
	if err != nil {
		return nil, fmt.Errorf("%s: list pods %s: %w", action, podSelector, err)
	}
	var out []string
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && !slices.Contains(out, p.Spec.NodeName) {
			out = append(out, p.Spec.NodeName)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no scheduled pod in %s matches %s", action, ns, podSelector)
	}
	slices.Sort(out)
	return out, nil
}

// nodePod is a node workload's pod: on node, in its network namespace,
// running cmd from image once, tolerating every taint, labelled label=true.
func nodePod(ns, node, label, kind, image string, cmd []string) *corev1.Pod {
	grace := int64(1)
	name := "drill-" + kind + "-" + node
	if len(name) > 50 {
		name = name[:50]
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      strings.TrimSuffix(name, "-") + "-" + suffix(),
			Namespace: ns,
			Labels:    map[string]string{label: "true", "app.kubernetes.io/name": "drill-" + kind, "app.kubernetes.io/managed-by": "drill"},
		},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostNetwork:                   true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:    kind,
				Image:   image,
				Command: cmd,
			}},
		},
	}
}

// waitPods waits until every pod in names is in a phase done accepts; a
// pod that fails first is an error.
func waitPods(ctx context.Context, env *Env, action, ns string, names []string, timeout time.Duration, done ...corev1.PodPhase) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pods := env.Cluster.Client.CoreV1().Pods(ns)
	for _, name := range names {
		var last *corev1.Pod
		err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			last = p
			if slices.Contains(done, p.Status.Phase) {
				return true, nil
			}
			if p.Status.Phase == corev1.PodFailed {
				return false, fmt.Errorf("pod %s failed: %s", name, podProblem(p))
			}
			return false, nil
		})
		if err != nil {
			state := "not found"
			if last != nil {
				state = podProblem(last)
			}
			return fmt.Errorf("%s: pod %s/%s is not %s (%s): %w", action, ns, name, phases(done), state, err)
		}
	}
	return nil
}

func phases(ps []corev1.PodPhase) string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return strings.Join(s, " or ")
}

// deletePods deletes the pods in names (grace 0) and waits until they are
// gone.
func deletePods(ctx context.Context, env *Env, ns string, names []string) error {
	pods := env.Cluster.Client.CoreV1().Pods(ns)
	zero := int64(0)
	var errs []error
	for _, name := range names {
		env.would("DELETE pods/%s in %s", name, ns)
		if env.DryRun {
			continue
		}
		if err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete pod %s/%s: %w", ns, name, err))
		}
	}
	if len(errs) > 0 || env.DryRun {
		return errors.Join(errs...)
	}
	for _, name := range names {
		err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			_, err := pods.Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			return fmt.Errorf("pod %s/%s still exists: %w", ns, name, err)
		}
	}
	return nil
}

// podProblem describes why a pod is not running.
func podProblem(p *corev1.Pod) string {
	out := string(p.Status.Phase)
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			out += fmt.Sprintf(", %s waiting: %s %s", c.Name, c.State.Waiting.Reason, c.State.Waiting.Message)
		case c.State.Terminated != nil:
			out += fmt.Sprintf(", %s exited %d: %s %s", c.Name, c.State.Terminated.ExitCode, c.State.Terminated.Reason, c.State.Terminated.Message)
		}
	}
	return out
}
