package lab

import (
	"context"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Status is a snapshot of a lab.
type Status struct {
	Name       string `json:"name"`
	StateDir   string `json:"stateDir"`
	Kubeconfig string `json:"kubeconfig"`
	// APIServer is the host URL (loopback relay) of the API server.
	APIServer string `json:"apiServer"`
	// APIReady is the API server's /readyz answer.
	APIReady bool `json:"apiReady"`
	// ProxyMode is the kube-proxy mode as reports show it, e.g.
	// "ipvs (emulated: kernel has no ip_vs)".
	ProxyMode string          `json:"proxyMode"`
	Nodes     []NodeStatus    `json:"nodes"`
	Processes []ProcessStatus `json:"processes"`
	// RSSBytes is the resident memory of all the lab's processes (pods included).
	RSSBytes int64 `json:"rssBytes"`
	// HostConntrackMax is the kernel's global nf_conntrack_max, shared by all
	// nodes (read-only inside a network namespace).
	HostConntrackMax int `json:"hostConntrackMax"`
	// HostConntrackMaxChanged is true when the lab set it (opt-in).
	HostConntrackMaxChanged bool `json:"hostConntrackMaxChanged,omitempty"`
	// Problems lists what is wrong, empty when healthy.
	Problems []string `json:"problems,omitempty"`
}

// NodeStatus is one node's state.
type NodeStatus struct {
	Name    string `json:"name"`
	IP      string `json:"ip"`
	PodCIDR string `json:"podCIDR"`
	Netns   string `json:"netns"`
	Ready   bool   `json:"ready"`
	Pods    int    `json:"pods"`
}

// ProcessStatus is one lab process.
type ProcessStatus struct {
	Name     string `json:"name"`
	PID      int    `json:"pid"`
	Running  bool   `json:"running"`
	RSSBytes int64  `json:"rssBytes"`
	Log      string `json:"log"`
}

// Status reports the lab's processes, nodes and API server state. It never
// fails on an unhealthy lab: problems are listed in Status.Problems.
func (l *Lab) Status(ctx context.Context) (Status, error) {
	p := l.plan
	st := Status{
		Name:       p.Name,
		StateDir:   p.StateDir,
		Kubeconfig: l.Kubeconfig(),
		ProxyMode:  ProxyModeLabel(p.ProxyMode),
	}
	if p.RelayAddr != "" {
		st.APIServer = "https://" + p.RelayAddr
	}
	if v, err := hostConntrackMax(); err == nil {
		st.HostConntrackMax = v
	}
	st.HostConntrackMaxChanged = p.HostConntrackMaxSet > 0
	for _, name := range l.processNames() {
		ps := ProcessStatus{Name: name, Log: p.path("logs", name+".log")}
		ps.PID, ps.Running = pidOf(p, name)
		if ps.Running {
			ps.RSSBytes = rssBytes(ps.PID)
		} else {
			st.Problems = append(st.Problems, name+" is not running (log "+ps.Log+")")
		}
		st.Processes = append(st.Processes, ps)
	}
	for _, pid := range labPIDs(p.Name) {
		st.RSSBytes += rssBytes(pid)
	}
	for _, n := range p.Nodes {
		st.Nodes = append(st.Nodes, NodeStatus{Name: n.Name, IP: n.IP, PodCIDR: n.PodCIDR, Netns: n.Netns})
	}
	cs, err := l.Client()
	if err != nil {
		st.Problems = append(st.Problems, err.Error())
		return st, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	st.APIReady = err == nil && string(body) == "ok"
	if !st.APIReady {
		st.Problems = append(st.Problems, "API server not ready")
		return st, nil
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err == nil {
		ready := map[string]bool{}
		for i := range nodes.Items {
			ready[nodes.Items[i].Name] = nodeReady(&nodes.Items[i])
		}
		pods, _ := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		count := map[string]int{}
		if pods != nil {
			for _, pod := range pods.Items {
				count[pod.Spec.NodeName]++
			}
		}
		for i := range st.Nodes {
			st.Nodes[i].Ready = ready[st.Nodes[i].Name]
			st.Nodes[i].Pods = count[st.Nodes[i].Name]
			if !st.Nodes[i].Ready {
				st.Problems = append(st.Problems, "node "+st.Nodes[i].Name+" not Ready")
			}
		}
	}
	sort.Strings(st.Problems)
	return st, nil
}
