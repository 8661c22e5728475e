package sample

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/agent"
)

// Where drill finds its node agents by default (deploy/agent.yaml).
const (
	DefaultAgentNamespace = "drill-system"
	DefaultAgentSelector  = "app.kubernetes.io/name=drill-agent"
	DefaultAgentPort      = agent.DefaultPort
)

// AgentConfig says where the node agents run and what to ask them.
type AgentConfig struct {
	// Namespace of the agent DaemonSet (default DefaultAgentNamespace).
	Namespace string
	// Selector is the agent pods' label selector (default
	// DefaultAgentSelector).
	Selector string
	// Port the agents listen on (default DefaultAgentPort).
	Port int
	// Parts to collect (agent.Part* names; empty: all). The scenario's
	// sample.nodes plus agent.PartKubeProxy fit here.
	Parts []string
	// Nodes restricts sampling to these node names (empty: every node with
	// an agent).
	Nodes []string
	// Timeout bounds one agent read (default 5s).
	Timeout time.Duration
}

// NodeSample is one node agent read.
type NodeSample struct {
	Node string
	Pod  string
	// Time is when drill asked the agent.
	Time time.Time
	// State is what the agent answered; nil when Err is set.
	State *agent.State
	// Err says why the node could not be read.
	Err string
}

// NodeSampler reads every node agent through the API server's pod proxy,
// so that drill needs no network path to the nodes: only the API server's.
type NodeSampler struct {
	client kubernetes.Interface
	cfg    AgentConfig
}

// NewNodeSampler returns a sampler of the agents cfg describes, with
// defaults filled in.
func NewNodeSampler(client kubernetes.Interface, cfg AgentConfig) *NodeSampler {
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultAgentNamespace
	}
	if cfg.Selector == "" {
		cfg.Selector = DefaultAgentSelector
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultAgentPort
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &NodeSampler{client: client, cfg: cfg}
}

// Agents returns the ready agent pod of every node (at most one per node),
// by node name. It is an error when there is none.
func (s *NodeSampler) Agents(ctx context.Context) (map[string]string, error) {
	pods, err := s.client.CoreV1().Pods(s.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: s.cfg.Selector})
	if err != nil {
		return nil, fmt.Errorf("list drill agents (%s in namespace %s): %w", s.cfg.Selector, s.cfg.Namespace, err)
	}
	want := map[string]bool{}
	for _, n := range s.cfg.Nodes {
		want[n] = true
	}
	agents := map[string]string{}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Spec.NodeName == "" || p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || !ready(p) {
			continue
		}
		if len(want) > 0 && !want[p.Spec.NodeName] {
			continue
		}
		agents[p.Spec.NodeName] = p.Name
	}
	if len(agents) == 0 {
		return nil, fmt.Errorf("no ready drill agent (pods %s in namespace %s, %d found): deploy it with kubectl apply -f deploy/agent.yaml and wait for kubectl -n %s rollout status daemonset/drill-agent",
			s.cfg.Selector, s.cfg.Namespace, len(pods.Items), s.cfg.Namespace)
	}
	return agents, nil
}

// WaitAgents waits until every node to sample has a ready agent: the nodes
// of AgentConfig.Nodes, else every Ready Linux node of the cluster. It
// polls until ctx ends and then says which nodes have none.
func (s *NodeSampler) WaitAgents(ctx context.Context) (map[string]string, error) {
	var last error
	for {
		want := s.cfg.Nodes
		if len(want) == 0 {
			nodes, err := s.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: corev1.LabelOSStable + "=linux"})
			if err != nil {
				last = fmt.Errorf("list nodes: %w", err)
			} else {
				want = nil
				for _, n := range nodes.Items {
					if nodeReady(&n) {
						want = append(want, n.Name)
					}
				}
			}
		}
		agents, err := s.Agents(ctx)
		if err != nil {
			last = err
		} else if len(want) > 0 {
			var missing []string
			for _, n := range want {
				if agents[n] == "" {
					missing = append(missing, n)
				}
			}
			if len(missing) == 0 {
				return agents, nil
			}
			sort.Strings(missing)
			last = fmt.Errorf("no ready drill agent on %s (kubectl -n %s get pods -l %s -o wide)", strings.Join(missing, ", "), s.cfg.Namespace, s.cfg.Selector)
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return nil, fmt.Errorf("wait for drill agents: %w", last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Sample reads every agent once, concurrently, and returns one NodeSample
// per node, sorted by node name. A node whose agent cannot be read is a
// sample with Err set; the error is for finding no agent at all.
func (s *NodeSampler) Sample(ctx context.Context) ([]NodeSample, error) {
	agents, err := s.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]NodeSample, 0, len(agents))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for node, pod := range agents {
		wg.Go(func() {
			ns := s.read(ctx, node, pod)
			mu.Lock()
			out = append(out, ns)
			mu.Unlock()
		})
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out, nil
}

// read asks one agent for its state through the pod proxy.
func (s *NodeSampler) read(ctx context.Context, node, pod string) NodeSample {
	ns := NodeSample{Node: node, Pod: pod, Time: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var params map[string]string
	if len(s.cfg.Parts) > 0 {
		params = map[string]string{"parts": strings.Join(s.cfg.Parts, ",")}
	}
	body, err := s.client.CoreV1().Pods(s.cfg.Namespace).ProxyGet("http", pod, strconv.Itoa(s.cfg.Port), agent.Path, params).DoRaw(ctx)
	if err != nil {
		ns.Err = fmt.Sprintf("read agent %s on %s through the pod proxy: %v", pod, node, err)
		return ns
	}
	var st agent.State
	if err := json.Unmarshal(body, &st); err != nil {
		ns.Err = fmt.Sprintf("agent %s on %s answered something else than its state: %v", pod, node, err)
		return ns
	}
	ns.State = &st
	return ns
}

// Summary is a one-line account of a sample for the timeline, e.g.
// "node-1: conntrack 1204/262144 (0.5%), drops 0; iptables 212 rules".
func (s NodeSample) Summary() string {
	if s.State == nil {
		return s.Node + ": " + s.Err
	}
	st := s.State
	var parts []string
	if c := st.Conntrack; c.Available {
		p := fmt.Sprintf("conntrack %d/%d (%.1f%%)", c.Count, c.Max, 100*c.Fill())
		if c.Stats != nil {
			p += fmt.Sprintf(", drops %d", c.Stats.Dropped())
		}
		parts = append(parts, p)
	}
	if st.IPTables.Available && st.IPTables.Rules > 0 {
		parts = append(parts, fmt.Sprintf("iptables %d rules", st.IPTables.Rules))
	}
	if st.NFTables.Available && st.NFTables.Rules > 0 {
		parts = append(parts, fmt.Sprintf("nftables %d rules", st.NFTables.Rules))
	}
	if st.IPVS.Available {
		parts = append(parts, fmt.Sprintf("ipvs %d virtual servers", len(st.IPVS.Virtual)))
	}
	if len(parts) == 0 {
		return s.Node + ": nothing available"
	}
	return s.Node + ": " + strings.Join(parts, "; ")
}
