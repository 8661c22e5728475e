// Package agent collects one node's datapath state: the conntrack table
// (count, limit and per-CPU statistics read through netlink), iptables and
// nftables rule and chain counts, IPVS virtual and real servers, and
// kube-proxy's last sync. The drill node agent (`drill agent`, run as a
// hostNetwork DaemonSet) serves it as JSON; drill reads it through the API
// server's pod proxy.
//
// Every part says whether it is available on the node and, when it is not,
// why: a part is never filled with made-up values.
package agent

import "time"

// Path is where the agent serves the node's State as JSON.
const Path = "/state"

// HealthPath answers 200 once the agent serves.
const HealthPath = "/healthz"

// DefaultPort is the agent's default listening port.
const DefaultPort = 9100

// State is one node's datapath state at one instant.
type State struct {
	// Node is the node name (NODE_NAME, else the host name).
	Node string `json:"node"`
	// Time is when the collection started.
	Time time.Time `json:"time"`
	// CollectSeconds is how long the collection took.
	CollectSeconds float64   `json:"collectSeconds"`
	Conntrack      Conntrack `json:"conntrack"`
	IPTables       IPTables  `json:"iptables"`
	NFTables       NFTables  `json:"nftables"`
	IPVS           IPVS      `json:"ipvs"`
	KubeProxy      KubeProxy `json:"kubeProxy"`
}

// Part says whether one part of the state could be read on this node.
type Part struct {
	// Available is true when the part's values were read.
	Available bool `json:"available"`
	// Reason says why the part is not available (or what is missing from
	// it), e.g. "kernel has no ip_vs".
	Reason string `json:"reason,omitempty"`
}

func unavailable(reason string) Part { return Part{Reason: reason} }

// Conntrack is the connection tracking table of the node's network
// namespace.
type Conntrack struct {
	Part
	// Count is nf_conntrack_count: entries in this network namespace.
	Count int64 `json:"count"`
	// Max is nf_conntrack_max: the kernel-wide limit.
	Max int64 `json:"max"`
	// Timeouts are the namespace's conntrack timeouts in seconds, by
	// sysctl name without the nf_conntrack_ prefix (tcp_timeout_established,
	// tcp_timeout_time_wait, tcp_timeout_close_wait, udp_timeout), as
	// kube-proxy and the node's sysctls set them.
	Timeouts map[string]int64 `json:"timeouts,omitempty"`
	// Stats are the per-CPU statistics summed over CPUs; nil when they
	// could not be read (StatsReason says why).
	Stats *ConntrackStats `json:"stats,omitempty"`
	// PerCPU are the statistics of each CPU.
	PerCPU []ConntrackStats `json:"perCPU,omitempty"`
	// StatsReason says why the statistics are missing.
	StatsReason string `json:"statsReason,omitempty"`
	// States counts the entries by TCP state (ESTABLISHED, TIME_WAIT,
	// CLOSE_WAIT, ...), the others as UDP or OTHER; only when the
	// conntrackStates part was asked for. StatesReason says why it is
	// missing then.
	States       map[string]int64 `json:"states,omitempty"`
	StatesReason string           `json:"statesReason,omitempty"`
}

// Fill is Count/Max, or 0 when Max is unknown.
func (c Conntrack) Fill() float64 {
	if c.Max <= 0 {
		return 0
	}
	return float64(c.Count) / float64(c.Max)
}

// ConntrackStats are conntrack's statistics counters (conntrack -S), since
// the network namespace was created.
type ConntrackStats struct {
	// CPU is the CPU number; -1 for a sum over CPUs.
	CPU           int    `json:"cpu"`
	Found         uint64 `json:"found"`
	Invalid       uint64 `json:"invalid"`
	Insert        uint64 `json:"insert"`
	InsertFailed  uint64 `json:"insertFailed"`
	Drop          uint64 `json:"drop"`
	EarlyDrop     uint64 `json:"earlyDrop"`
	Error         uint64 `json:"error"`
	SearchRestart uint64 `json:"searchRestart"`
	ClashResolve  uint64 `json:"clashResolve"`
	ChainTooLong  uint64 `json:"chainTooLong"`
}

// Dropped is drop + early_drop + insert_failed: connections the table
// could not take.
func (s ConntrackStats) Dropped() uint64 { return s.Drop + s.EarlyDrop + s.InsertFailed }

// add adds o's counters to s.
func (s *ConntrackStats) add(o ConntrackStats) {
	s.Found += o.Found
	s.Invalid += o.Invalid
	s.Insert += o.Insert
	s.InsertFailed += o.InsertFailed
	s.Drop += o.Drop
	s.EarlyDrop += o.EarlyDrop
	s.Error += o.Error
	s.SearchRestart += o.SearchRestart
	s.ClashResolve += o.ClashResolve
	s.ChainTooLong += o.ChainTooLong
}

// IPTables counts what iptables-save shows.
type IPTables struct {
	Part
	// Backend is "nf_tables" or "legacy", as iptables-save names itself.
	Backend string `json:"backend,omitempty"`
	// Tables maps a table name (filter, nat, mangle, raw) to its counts.
	Tables map[string]RuleCount `json:"tables,omitempty"`
	// Chains and Rules are totals over every table.
	Chains int `json:"chains"`
	Rules  int `json:"rules"`
	// KubeChains counts chains whose name starts with KUBE-.
	KubeChains int `json:"kubeChains"`
	// Services maps "namespace/service:port" to the number of its KUBE-SEP
	// (endpoint) chains, found through kube-proxy's rule comments.
	Services map[string]int `json:"services,omitempty"`
}

// RuleCount is a number of chains and rules.
type RuleCount struct {
	Chains int `json:"chains"`
	Rules  int `json:"rules"`
}

// NFTables counts what `nft list ruleset` shows.
type NFTables struct {
	Part
	// Tables maps "family name" (e.g. "ip kube-proxy") to its counts.
	Tables map[string]NFTable `json:"tables,omitempty"`
	// Chains, Rules, Sets and Maps are totals over every table.
	Chains int `json:"chains"`
	Rules  int `json:"rules"`
	Sets   int `json:"sets"`
	Maps   int `json:"maps"`
	// Services maps "namespace/service:port" to its number of endpoint
	// chains in kube-proxy's nftables table.
	Services map[string]int `json:"services,omitempty"`
}

// NFTable is one nftables table's counts.
type NFTable struct {
	Chains int `json:"chains"`
	Rules  int `json:"rules"`
	Sets   int `json:"sets"`
	Maps   int `json:"maps"`
}

// IPVS is the IPVS table: from the kernel (/proc/net/ip_vs), or from the
// lab's nftables emulation of it when the kernel has no ip_vs.
type IPVS struct {
	Part
	// Emulated is true when the servers come from the lab's nftables
	// emulation; Source then names it.
	Emulated bool   `json:"emulated,omitempty"`
	Source   string `json:"source,omitempty"`
	// Virtual are the virtual servers.
	Virtual []VirtualServer `json:"virtual,omitempty"`
	// ConnectionsReason says why connection counts are missing.
	ConnectionsReason string `json:"connectionsReason,omitempty"`
	// ConnectionsSource says where emulated connection counts come from.
	ConnectionsSource string `json:"connectionsSource,omitempty"`
}

// VirtualServer is one IPVS virtual service.
type VirtualServer struct {
	// Service is "namespace/service:port" when known (emulation only).
	Service   string       `json:"service,omitempty"`
	Protocol  string       `json:"protocol"` // TCP, UDP or SCTP
	Address   string       `json:"address"`  // ip:port
	Scheduler string       `json:"scheduler"`
	Real      []RealServer `json:"real"`
}

// RealServer is one backend of a virtual server.
type RealServer struct {
	Address string `json:"address"` // ip:port
	Weight  int    `json:"weight"`
	// ActiveConn and InactiveConn are -1 when unknown.
	ActiveConn   int64 `json:"activeConn"`
	InactiveConn int64 `json:"inactiveConn"`
}

// KubeProxy is what kube-proxy's metrics endpoint says about its syncs.
type KubeProxy struct {
	Part
	// URL is the metrics endpoint read.
	URL string `json:"url,omitempty"`
	// LastSync is kubeproxy_sync_proxy_rules_last_timestamp_seconds.
	LastSync *time.Time `json:"lastSync,omitempty"`
	// LastQueued is kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds.
	LastQueued *time.Time `json:"lastQueued,omitempty"`
	// Syncs and SyncSeconds are the count and sum of
	// kubeproxy_sync_proxy_rules_duration_seconds.
	Syncs       uint64  `json:"syncs"`
	SyncSeconds float64 `json:"syncSeconds"`
	// PendingChanges are the Service and endpoint changes kube-proxy has
	// seen but not yet programmed (…_service_changes_pending +
	// …_endpoint_changes_pending).
	PendingChanges uint64 `json:"pendingChanges"`
	// Mode is kube-proxy's proxy mode when the metrics say it.
	Mode string `json:"mode,omitempty"`
}
