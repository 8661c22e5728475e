package advise

import (
	"fmt"
	"time"
)

// NodeConntrack is one node's conntrack table as drill's agent read it.
type NodeConntrack struct {
	Node string
	// Count and Max are nf_conntrack_count and nf_conntrack_max.
	Count, Max int64
	// TimeWait is nf_conntrack_tcp_timeout_time_wait (0: not read).
	TimeWait time.Duration
}

// Headroom bounds of rule conntrack-headroom: the share of the table
// still free below which it warns, and below which it is an error.
const (
	HeadroomWarning = 0.25
	HeadroomError   = 0.10
)

// defaultTimeWait is the kernel's TCP TIME_WAIT timeout in conntrack.
const defaultTimeWait = 120 * time.Second

func conntrackHeadroom() Rule {
	return Rule{
		ID:    "conntrack-headroom",
		Level: LevelWarning,
		Summary: "a node's conntrack table has less than a quarter free (an error below a tenth); " +
			"live clusters only (drill advise --live, through drill's agent)",
		Why: "Every connection through kube-proxy's NAT, and every UDP flow, holds an entry in the node's " +
			"conntrack table, and a closed TCP connection keeps it for the TIME_WAIT timeout (120 s). When " +
			"nf_conntrack_count reaches nf_conntrack_max the kernel drops the first packet of every new " +
			"flow: the load balancer's connects and health checks and the readiness probes wait for SYN " +
			"retransmits (1 s, 3 s, ...) and fail. The headroom in entries, divided by the TIME_WAIT " +
			"timeout, is how many more new connections a second the node can take before that. The count " +
			"is one moment's: drill flags less than a quarter of the table free.",
		Evidence: "Drill measured a 4096-entry table filling in about 27 s at 200 new connections a second " +
			"(TIME_WAIT alone up to 4092 entries), then 32-36% of the requests failing (504, p99 10 s); a " +
			"UDP flood filling it dropped about 95 000 new flows (p99 2 s); the same flood against a " +
			"131072-entry table peaked at about 60 000 entries (46%) and dropped nothing " +
			"(scenarios/conntrack-timewait.yaml, conntrack-overflow.yaml, conntrack-overflow-tuned.yaml; " +
			"README field results). kube-proxy sizes the table to max(conntrack.maxPerCore × CPUs, " +
			"conntrack.min), 32768 per core and at least 131072 by default",
		Sources: []string{
			"README.md#scenarios-shipped",
			"docs/agent.md",
			"https://docs.kernel.org/networking/nf_conntrack-sysctl.html",
			"https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/",
		},
		Fix: "raise nf_conntrack_max (kube-proxy's conntrack.maxPerCore and conntrack.min, or the sysctl " +
			"net.netfilter.nf_conntrack_max), shorten nf_conntrack_tcp_timeout_time_wait, or open fewer " +
			"connections (keep-alive to the targets)",
		live: func(n NodeConntrack) []issue {
			if n.Max <= 0 {
				return nil
			}
			free := n.Max - n.Count
			share := float64(free) / float64(n.Max)
			if share >= HeadroomWarning {
				return nil
			}
			level := LevelWarning
			if share < HeadroomError {
				level = LevelError
			}
			tw := n.TimeWait
			if tw <= 0 {
				tw = defaultTimeWait
			}
			rate := float64(max(free, 0)) / tw.Seconds()
			return []issue{{
				at:    Object{Kind: "Node", Name: n.Node},
				level: level,
				reason: fmt.Sprintf("%d of %d conntrack entries in use (%.0f%%): %d left, room for about %.0f more new "+
					"connections a second closing into TIME_WAIT (%s) before the kernel drops new flows",
					n.Count, n.Max, 100*float64(n.Count)/float64(n.Max), max(free, 0), rate, inSeconds(tw)),
			}}
		},
	}
}

// AnalyzeNodes runs the rules of live clusters over the nodes' conntrack
// tables.
func AnalyzeNodes(nodes []NodeConntrack) []Finding {
	var out []Finding
	for _, r := range Rules() {
		if r.live == nil {
			continue
		}
		for _, n := range nodes {
			for _, is := range r.live(n) {
				out = append(out, r.finding(is))
			}
		}
	}
	return out
}
