package inject

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	errs := validateNodes("conntrackFlood", f.Nodes, f.PodSelector)
	if f.For <= 0 || f.For > flood.MaxDuration {
		errs = append(errs, fmt.Errorf("conntrackFlood for: %s is outside (0, %s]", f.For, flood.MaxDuration))
	}
	if f.Fill < 0 || f.Fill > 1 {
		errs = append(errs, fmt.Errorf("conntrackFlood fill: %g is outside 0-1 (e.g. 0.9 for 90%%)", f.Fill))
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
	nodes, err := targetNodes(ctx, env, "conntrackFlood", ns, f.Nodes, f.PodSelector)
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
	if err := deletePods(ctx, env, f.PodNamespace, f.Pods); err != nil || env.DryRun {
		return err
	}
	env.note("fault", "flood pods deleted: %s", strings.Join(f.Pods, ", "))
	return nil
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
	return nodePod(ns, node, FloodLabel, "flood", f.Image, cmd)
}

// waitStarted waits until every flood pod runs (or already finished).
func (f *ConntrackFlood) waitStarted(ctx context.Context, env *Env) error {
	if err := waitPods(ctx, env, "conntrackFlood", f.PodNamespace, f.Pods, f.Timeout, corev1.PodRunning, corev1.PodSucceeded); err != nil {
		return err
	}
	env.note("fault", "%d flood pod(s) running", len(f.Pods))
	return nil
}

func (f *ConntrackFlood) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}
