package inject

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/drillkit/drill/pkg/flood"
)

// DefaultImage is the drill image fault workloads run.
const DefaultImage = "ghcr.io/drillkit/drill:latest"

// FloodLabel marks the flood pods of a conntrackFlood.
const FloodLabel = "drill.dev/flood"

// ConntrackFlood fills nodes' conntrack tables: it runs a `drill flood` pod
// on each target node, in the node's network namespace (hostNetwork), sending
// from a new source port every time to the node's own address or loopback,
// at a bounded rate, for a bounded time, optionally held at a target fill of
// nf_conntrack_count/nf_conntrack_max. Recover deletes the pods; the entries
// then expire by the kernel's timeouts.
type ConntrackFlood struct {
	Nodes       []string      `yaml:"nodes" json:"nodes,omitempty" doc:"Names of the nodes to flood."`
	PodSelector string        `yaml:"podSelector" json:"podSelector,omitempty" doc:"Flood the nodes running the pods this label selector matches (in the fault's namespace), instead of nodes."`
	Namespace   string        `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the flood pods (and of podSelector); empty means the target's namespace."`
	Proto       string        `yaml:"proto" json:"proto" default:"udp" enum:"udp,tcp" doc:"udp: one datagram per new socket (entries live 30 s unreplied); tcp: one abandoned connection attempt per new socket (entries live 10-120 s)."`
	To          string        `yaml:"to" json:"to" default:"nodeIP" enum:"nodeIP,loopback" doc:"nodeIP: the node's InternalIP (lab nodes only: it must be in 198.18.0.0/15); loopback: 127.0.0.1 in the node's network namespace (any cluster)."`
	Rate        int           `yaml:"rate" json:"rate" default:"2000" min:"1" max:"100000" doc:"Packets (or connection attempts) per second per node."`
	For         time.Duration `yaml:"for" json:"for" default:"60s" doc:"How long each flood pod sends (at most 1h)."`
	Count       int           `yaml:"count" json:"count,omitempty" min:"0" max:"10000000" doc:"Packets per node at most; 0 means rate × for."`
	Fill        float64       `yaml:"fill" json:"fill,omitempty" doc:"Target fill of the node's conntrack table (nf_conntrack_count/nf_conntrack_max, e.g. 0.9): sending pauses while the table is that full; 0 means send at rate for the whole time."`
	Image       string        `yaml:"image" json:"image" default:"ghcr.io/drillkit/drill:latest" doc:"Image with the drill binary (its last path element must be drill in the lab)."`
	Timeout     time.Duration `yaml:"timeout" json:"timeout" default:"60s" doc:"How long to wait for the flood pods to start."`
	// Pods are the flood pods, journaled before they are created.
	Pods []string `yaml:"-" json:"pods,omitempty"`
	// PodNamespace is where Pods were created.
	PodNamespace string `yaml:"-" json:"podNamespace,omitempty"`
}

// Name implements Fault.
func (f *ConntrackFlood) Name() string {
	where := strings.Join(f.Nodes, ",")
	if where == "" {
		where = "nodes of " + f.PodSelector
	}
	return fmt.Sprintf("conntrackFlood %s %s at %d/s", where, f.Proto, f.Rate)
}

func (f *ConntrackFlood) Validate() error {
	var errs []error
	if len(f.Nodes) == 0 && f.PodSelector == "" {
		errs = append(errs, errors.New("conntrackFlood needs nodes (node names) or podSelector (flood the nodes of these pods)"))
	}
	if len(f.Nodes) > 0 && f.PodSelector != "" {
		errs = append(errs, errors.New("conntrackFlood: give nodes or podSelector, not both"))
	}
	if f.For <= 0 || f.For > flood.MaxDuration {
		errs = append(errs, fmt.Errorf("conntrackFlood for: %s is outside (0, %s]", f.For, flood.MaxDuration))
	}
	if f.Fill < 0 || f.Fill > 1 {
		errs = append(errs, fmt.Errorf("conntrackFlood fill: %g is outside 0-1 (e.g. 0.9 for 90%%)", f.Fill))
	}
	if f.PodSelector != "" {
		if _, err := metav1.ParseToLabelSelector(f.PodSelector); err != nil {
			errs = append(errs, fmt.Errorf("conntrackFlood podSelector: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Apply implements Fault.
func (f *ConntrackFlood) Apply(ctx context.Context, env *Env) error {
	if err := f.Validate(); err != nil {
		return err
	}
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	nodes, err := f.targets(ctx, env, ns)
	if err != nil {
		return err
	}
	type plan struct {
		pod  *corev1.Pod
		node string
	}
	var plans []plan
	for _, n := range nodes {
		addr, err := f.address(ctx, env, n)
		if err != nil {
			return err
		}
		plans = append(plans, plan{pod: f.pod(ns, n, addr), node: n})
	}
	if !env.DryRun {
		f.PodNamespace = ns
		for _, p := range plans {
			f.Pods = append(f.Pods, p.pod.Name)
		}
		env.changed(f)
	}
	for _, p := range plans {
		env.would("POST pods in %s: %s on node %s running %s", ns, p.pod.Name, p.node, strings.Join(p.pod.Spec.Containers[0].Command, " "))
		if env.DryRun {
			continue
		}
		if _, err := env.Cluster.Client.CoreV1().Pods(ns).Create(ctx, p.pod, metav1.CreateOptions{FieldManager: "drill"}); err != nil {
			return fmt.Errorf("conntrackFlood: create pod %s on %s: %w", p.pod.Name, p.node, err)
		}
		env.note("fault", "flood pod %s/%s started on %s", ns, p.pod.Name, p.node)
	}
	if env.DryRun {
		return nil
	}
	return f.waitStarted(ctx, env)
}

// Recover implements Fault: it deletes the flood pods and waits until they
// are gone.
func (f *ConntrackFlood) Recover(ctx context.Context, env *Env) error {
	if len(f.Pods) == 0 {
		if env.DryRun {
			env.would("DELETE the flood pods created by Apply")
		}
		return nil
	}
	pods := env.Cluster.Client.CoreV1().Pods(f.PodNamespace)
	zero := int64(0)
	var errs []error
	for _, name := range f.Pods {
		env.would("DELETE pods/%s in %s", name, f.PodNamespace)
		if env.DryRun {
			continue
		}
		if err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete flood pod %s/%s: %w", f.PodNamespace, name, err))
		}
	}
	if len(errs) > 0 || env.DryRun {
		return errors.Join(errs...)
	}
	for _, name := range f.Pods {
		err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			_, err := pods.Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		if err != nil {
			return fmt.Errorf("flood pod %s/%s still exists: %w", f.PodNamespace, name, err)
		}
	}
	env.note("fault", "flood pods deleted: %s", strings.Join(f.Pods, ", "))
	return nil
}

// targets returns the nodes to flood: the named ones, which must exist, or
// those running the pods of podSelector.
func (f *ConntrackFlood) targets(ctx context.Context, env *Env, ns string) ([]string, error) {
	if len(f.Nodes) > 0 {
		return f.Nodes, nil
	}
	env.read("GET pods in %s -l %s", ns, f.PodSelector)
	pods, err := env.Cluster.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: f.PodSelector})
	if err != nil {
		return nil, fmt.Errorf("conntrackFlood: list pods %s: %w", f.PodSelector, err)
	}
	var nodes []string
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && !slices.Contains(nodes, p.Spec.NodeName) {
			nodes = append(nodes, p.Spec.NodeName)
		}
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("conntrackFlood: no scheduled pod in %s matches %s", ns, f.PodSelector)
	}
	slices.Sort(nodes)
	return nodes, nil
}

// address returns the address to flood on node, refusing what the flooder
// would refuse.
func (f *ConntrackFlood) address(ctx context.Context, env *Env, node string) (netip.Addr, error) {
	env.read("GET nodes/%s", node)
	n, err := env.Cluster.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("conntrackFlood node %s: %w", node, err)
	}
	if f.To == "loopback" {
		return netip.MustParseAddr("127.0.0.1"), nil
	}
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			continue
		}
		if err := flood.Allowed(ip); err != nil {
			return netip.Addr{}, fmt.Errorf("conntrackFlood node %s: %w; use to: loopback on a real cluster", node, err)
		}
		return ip, nil
	}
	return netip.Addr{}, fmt.Errorf("conntrackFlood node %s has no InternalIP address; use to: loopback", node)
}

// pod is the flood pod for node.
func (f *ConntrackFlood) pod(ns, node string, addr netip.Addr) *corev1.Pod {
	cmd := []string{"drill", "flood", "--to", addr.String(), "--proto", f.Proto,
		"--rate", strconv.Itoa(f.Rate), "--for", f.For.String()}
	if f.Count > 0 {
		cmd = append(cmd, "--count", strconv.Itoa(f.Count))
	}
	if f.Fill > 0 {
		cmd = append(cmd, "--fill", strconv.FormatFloat(f.Fill, 'f', -1, 64))
	}
	grace := int64(1)
	name := "drill-flood-" + node
	if len(name) > 50 {
		name = name[:50]
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      strings.TrimSuffix(name, "-") + "-" + suffix(),
			Namespace: ns,
			Labels:    map[string]string{FloodLabel: "true", "app.kubernetes.io/name": "drill-flood", "app.kubernetes.io/managed-by": "drill"},
		},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			HostNetwork:                   true,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:    "flood",
				Image:   f.Image,
				Command: cmd,
			}},
		},
	}
}

// waitStarted waits until every flood pod runs (or already finished).
func (f *ConntrackFlood) waitStarted(ctx context.Context, env *Env) error {
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	pods := env.Cluster.Client.CoreV1().Pods(f.PodNamespace)
	for _, name := range f.Pods {
		var last *corev1.Pod
		err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			p, err := pods.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			last = p
			switch p.Status.Phase {
			case corev1.PodRunning, corev1.PodSucceeded:
				return true, nil
			case corev1.PodFailed:
				return false, fmt.Errorf("flood pod %s failed: %s", name, podProblem(p))
			}
			return false, nil
		})
		if err != nil {
			state := "not found"
			if last != nil {
				state = podProblem(last)
			}
			return fmt.Errorf("conntrackFlood: pod %s/%s did not start (%s): %w", f.PodNamespace, name, state, err)
		}
	}
	env.note("fault", "%d flood pod(s) running", len(f.Pods))
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

func (f *ConntrackFlood) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}
