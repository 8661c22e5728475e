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

	"github.com/drillkit/drill/pkg/conntrack"
)

// FlushLabel marks the pods of a conntrackFlush.
const FlushLabel = "drill.dev/conntrack-flush"

// MaxFlushFor bounds how long a periodic conntrackFlush goes on.
const MaxFlushFor = time.Hour

// ConntrackFlush deletes conntrack entries on nodes, as `conntrack -D -p tcp
// --dport PORT` run on each node does: it runs a `drill conntrack-flush` pod
// on each target node, in the node's network namespace (hostNetwork), which
// deletes through netlink the entries whose original destination matches,
// once or every `every` for `for`, and logs what each flush deleted. Deleted
// entries cannot be put back: Recover reads what the flushes did, deletes
// the pods and has nothing else to undo.
type ConntrackFlush struct {
	Nodes       []string      `yaml:"nodes" json:"nodes,omitempty" doc:"Names of the nodes to flush."`
	PodSelector string        `yaml:"podSelector" json:"podSelector,omitempty" doc:"Flush on the nodes running the pods this label selector matches (in the fault's namespace), instead of nodes."`
	Namespace   string        `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the flush pods (and of podSelector and service); empty means the target's namespace."`
	Proto       string        `yaml:"proto" json:"proto" default:"tcp" enum:"tcp,udp,sctp" doc:"Protocol of the entries to delete."`
	Port        int           `yaml:"port" json:"port,omitempty" min:"0" max:"65535" doc:"Delete the entries whose destination port (as the client sent it, before DNAT) is this, like conntrack --dport."`
	Destination string        `yaml:"destination" json:"destination,omitempty" doc:"Delete the entries whose destination address (before DNAT) is this IPv4 address or in this prefix, like conntrack -d."`
	Service     string        `yaml:"service" json:"service,omitempty" doc:"Delete the entries of this Service's ports: its NodePorts on any address and its cluster IP and port (resolved when the fault applies)."`
	All         bool          `yaml:"all" json:"all,omitempty" doc:"Delete every entry of proto on the nodes; needed when no port, destination or service narrows the filter."`
	Every       time.Duration `yaml:"every" json:"every,omitempty" doc:"Flush again at this interval for the time given by for; 0 means once."`
	For         time.Duration `yaml:"for" json:"for" default:"60s" doc:"With every: how long to go on flushing (at most 1h)."`
	Image       string        `yaml:"image" json:"image" default:"ghcr.io/drillkit/drill:latest" doc:"Image with the drill binary (its last path element must be drill in the lab)."`
	Timeout     time.Duration `yaml:"timeout" json:"timeout" default:"60s" doc:"How long to wait for the flush pods to start (and, for a single flush, to finish)."`

	// Filters are the resolved filters, journaled before the pods start.
	Filters []string `yaml:"-" json:"filters,omitempty"`
	// Pods are the flush pods by node, journaled before they are created.
	Pods map[string]string `yaml:"-" json:"pods,omitempty"`
	// PodNamespace is where Pods were created.
	PodNamespace string `yaml:"-" json:"podNamespace,omitempty"`
	// Flushes are what each flush did on each node, read from the pods'
	// logs.
	Flushes []NodeFlush `yaml:"-" json:"flushes,omitempty"`
	// Deleted is the number of entries deleted per node, over every flush.
	Deleted map[string]int `yaml:"-" json:"deleted,omitempty"`
}

// NodeFlush is one flush on one node.
type NodeFlush struct {
	Node string `json:"node"`
	conntrack.Record
}

// Name implements Fault.
func (f *ConntrackFlush) Name() string {
	where := strings.Join(f.Nodes, ",")
	if where == "" {
		where = "nodes of " + f.PodSelector
	}
	what := f.Proto
	switch {
	case f.Service != "":
		what += " service " + f.Service
	case f.All:
		what = "every " + f.Proto + " entry"
	}
	if f.Port != 0 {
		what += " port " + strconv.Itoa(f.Port)
	}
	if f.Destination != "" {
		what += " to " + f.Destination
	}
	when := "once"
	if f.Every > 0 {
		when = "every " + f.Every.String() + " for " + f.For.String()
	}
	return fmt.Sprintf("conntrackFlush %s %s %s", where, what, when)
}

// Validate implements validator: a filter that would delete every entry of
// the nodes needs all: true.
func (f *ConntrackFlush) Validate() error {
	errs := validateNodes("conntrackFlush", f.Nodes, f.PodSelector)
	narrowed := f.Port != 0 || f.Destination != "" || f.Service != ""
	switch {
	case !narrowed && !f.All:
		errs = append(errs, fmt.Errorf("conntrackFlush without port, destination or service deletes every %s entry on the nodes (established connections included): narrow it, or say all: true", f.Proto))
	case narrowed && f.All:
		errs = append(errs, errors.New("conntrackFlush: all: true deletes every entry, whatever port, destination or service say: remove all or the filter"))
	}
	if f.Service != "" && f.Port != 0 {
		errs = append(errs, errors.New("conntrackFlush: give service (its ports are resolved) or port, not both"))
	}
	if f.Destination != "" {
		if _, err := conntrack.ParsePrefix(f.Destination); err != nil {
			errs = append(errs, fmt.Errorf("conntrackFlush destination: %w", err))
		}
	}
	if f.Every < 0 {
		errs = append(errs, fmt.Errorf("conntrackFlush every: %s is negative (0 flushes once)", f.Every))
	}
	if f.Every > 0 && (f.For <= 0 || f.For > MaxFlushFor) {
		errs = append(errs, fmt.Errorf("conntrackFlush for: %s is outside (0, %s]", f.For, MaxFlushFor))
	}
	if f.Every > 0 && f.Every > f.For {
		errs = append(errs, fmt.Errorf("conntrackFlush every: %s is longer than for (%s): it would flush once; remove every or lengthen for", f.Every, f.For))
	}
	return errors.Join(errs...)
}

// Apply implements Fault. A single flush waits until every pod has flushed
// and records what it deleted; a periodic one returns once the pods run.
func (f *ConntrackFlush) Apply(ctx context.Context, env *Env) error {
	if err := f.Validate(); err != nil {
		return err
	}
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	nodes, err := targetNodes(ctx, env, "conntrackFlush", ns, f.Nodes, f.PodSelector)
	if err != nil {
		return err
	}
	filters, err := f.filters(ctx, env, ns)
	if err != nil {
		return err
	}
	cmd := []string{"drill", "conntrack-flush"}
	for _, x := range filters {
		cmd = append(cmd, "--match", x.String())
	}
	if f.All {
		cmd = append(cmd, "--all")
	}
	if f.Every > 0 {
		cmd = append(cmd, "--every", f.Every.String(), "--for", f.For.String())
	}
	pods := map[string]*corev1.Pod{}
	for _, n := range nodes {
		p := nodePod(ns, n, FlushLabel, "conntrack-flush", f.Image, cmd)
		// Deleting conntrack entries through netlink needs CAP_NET_ADMIN in
		// the node's network namespace.
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}},
		}
		pods[n] = p
	}
	if !env.DryRun {
		f.PodNamespace, f.Pods, f.Filters = ns, map[string]string{}, nil
		for _, x := range filters {
			f.Filters = append(f.Filters, x.String())
		}
		for n, p := range pods {
			f.Pods[n] = p.Name
		}
		env.changed(f)
	}
	for _, n := range nodes {
		p := pods[n]
		env.would("POST pods in %s: %s on node %s running %s", ns, p.Name, n, strings.Join(cmd, " "))
		if env.DryRun {
			continue
		}
		if _, err := env.Cluster.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{FieldManager: "drill"}); err != nil {
			return fmt.Errorf("conntrackFlush: create pod %s on %s: %w", p.Name, n, err)
		}
	}
	if env.DryRun {
		return nil
	}
	if f.Every > 0 {
		if err := waitPods(ctx, env, "conntrackFlush", ns, f.podNames(), f.Timeout, corev1.PodRunning, corev1.PodSucceeded); err != nil {
			return err
		}
		env.note("fault", "conntrack flush pods running on %s: %s", strings.Join(nodes, ", "), strings.Join(cmd[2:], " "))
		return nil
	}
	// A pod that failed has logged why: collect before reporting.
	werr := waitPods(ctx, env, "conntrackFlush", ns, f.podNames(), f.Timeout, corev1.PodSucceeded)
	if err := f.collect(ctx, env); err != nil {
		return errors.Join(werr, err)
	}
	if werr != nil {
		return werr
	}
	env.changed(f)
	return deletePods(ctx, env, ns, f.podNames())
}

// Recover implements Fault: deleted entries cannot be restored. It records
// what the flushes did (a periodic flush's pods are still running) and
// deletes the pods.
func (f *ConntrackFlush) Recover(ctx context.Context, env *Env) error {
	if len(f.Pods) == 0 {
		if env.DryRun {
			env.would("DELETE the flush pods created by Apply (deleted entries cannot be restored)")
		}
		return nil
	}
	if (f.Every > 0 || len(f.Flushes) == 0) && !env.DryRun {
		// The pods may be gone already (a second recovery): then the
		// journal has what they did.
		_ = f.collect(ctx, env)
	}
	return deletePods(ctx, env, f.PodNamespace, f.podNames())
}

// filters resolves the fault's filter: a service becomes its NodePorts on
// any address and its cluster IP and port.
func (f *ConntrackFlush) filters(ctx context.Context, env *Env, ns string) ([]conntrack.Filter, error) {
	proto, err := conntrack.ParseProto(f.Proto)
	if err != nil {
		return nil, fmt.Errorf("conntrackFlush proto: %w", err)
	}
	var dst netip.Prefix
	if f.Destination != "" {
		if dst, err = conntrack.ParsePrefix(f.Destination); err != nil {
			return nil, fmt.Errorf("conntrackFlush destination: %w", err)
		}
	}
	if f.Service == "" {
		return []conntrack.Filter{{Proto: proto, Port: uint16(f.Port), Dst: dst}}, nil
	}
	env.read("GET services/%s in %s", f.Service, ns)
	svc, err := env.Cluster.Client.CoreV1().Services(ns).Get(ctx, f.Service, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("conntrackFlush service %s/%s: %w", ns, f.Service, err)
	}
	var out []conntrack.Filter
	for _, p := range svc.Spec.Ports {
		if !strings.EqualFold(string(p.Protocol), f.Proto) && !(p.Protocol == "" && f.Proto == "tcp") {
			continue
		}
		if p.NodePort != 0 {
			out = append(out, conntrack.Filter{Proto: proto, Port: uint16(p.NodePort), Dst: dst})
		}
		for _, ip := range svc.Spec.ClusterIPs {
			a, err := netip.ParseAddr(ip)
			if err != nil || !a.Is4() || (dst.IsValid() && !dst.Contains(a)) {
				continue
			}
			out = append(out, conntrack.Filter{Proto: proto, Port: uint16(p.Port), Dst: netip.PrefixFrom(a, 32)})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("conntrackFlush service %s/%s has no %s port to flush (no NodePort, no IPv4 cluster IP)", ns, f.Service, f.Proto)
	}
	return out, nil
}

// collect reads the flush records from each pod's log into Flushes and
// Deleted and notes them on the timeline. A pod that is gone (a second
// recovery) keeps what was read before.
func (f *ConntrackFlush) collect(ctx context.Context, env *Env) error {
	var errs []error
	nodes := make([]string, 0, len(f.Pods))
	for n := range f.Pods {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	byNode := map[string][]conntrack.Record{}
	for _, fl := range f.Flushes {
		byNode[fl.Node] = append(byNode[fl.Node], fl.Record)
	}
	read := false
	for _, n := range nodes {
		name := f.Pods[n]
		raw, err := env.Cluster.Client.CoreV1().Pods(f.PodNamespace).GetLogs(name, &corev1.PodLogOptions{Container: "conntrack-flush"}).DoRaw(ctx)
		if apierrors.IsNotFound(err) && len(byNode[n]) > 0 {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("conntrackFlush: read the log of %s/%s on %s: %w", f.PodNamespace, name, n, err))
			continue
		}
		byNode[n], read = conntrack.Records(string(raw)), true
	}
	if !read {
		return errors.Join(errs...)
	}
	f.Flushes, f.Deleted = nil, map[string]int{}
	var summary []string
	for _, n := range nodes {
		deleted := 0
		for _, r := range byNode[n] {
			f.Flushes = append(f.Flushes, NodeFlush{Node: n, Record: r})
			deleted += r.Deleted
			if r.Error != "" {
				errs = append(errs, fmt.Errorf("conntrackFlush on %s: %s", n, r.Error))
			}
		}
		f.Deleted[n] = deleted
		summary = append(summary, fmt.Sprintf("%s %d in %d flush(es)", n, deleted, len(byNode[n])))
	}
	env.note("fault", "conntrack entries deleted: %s", strings.Join(summary, ", "))
	return errors.Join(errs...)
}

func (f *ConntrackFlush) podNames() []string {
	var out []string
	for _, p := range f.Pods {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func (f *ConntrackFlush) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}
