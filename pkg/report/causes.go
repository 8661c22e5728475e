package report

import "time"

// Causes of failed requests (package cause decides them; docs/causes.md).
const (
	CauseBeforeReady         = "before-ready"
	CauseDeregistrationLag   = "deregistration-lag"
	CauseConnectionReuse     = "connection-reuse"
	CauseEndpointPropagation = "endpoint-propagation"
	CauseDatapathDrop        = "datapath-drop"
	CauseAppError            = "app-error"
	CauseUnknown             = "unknown"
)

// CauseNames are the causes in the order reports list them.
func CauseNames() []string {
	return []string{CauseBeforeReady, CauseDeregistrationLag, CauseConnectionReuse, CauseEndpointPropagation,
		CauseDatapathDrop, CauseAppError, CauseUnknown}
}

// Causes says why the run's failed requests failed: each one joined with
// what the run's timeline knew when it was sent.
type Causes struct {
	// Failures is how many failed requests were classified.
	Failures uint64 `json:"failures"`
	// Total counts them by cause, in CauseNames order.
	Total []CauseCount `json:"total"`
	// Bursts gives the causes of each error burst of Summary.Bursts.
	Bursts []BurstCauses `json:"bursts,omitempty"`
	// Sources names what the analysis could join ("load balancer log",
	// "pods", "endpoints", "target health", "conntrack", "kube-proxy").
	Sources []string `json:"sources,omitempty"`
}

// CauseCount is how many failed requests had one cause.
type CauseCount struct {
	Cause string `json:"cause"`
	Count uint64 `json:"count"`
	// Explanation says what happened and which setting would have
	// prevented it, in one line.
	Explanation string `json:"explanation"`
	// Reasons says, for unknown, why no cause could be given, most
	// frequent first.
	Reasons []ErrorCount `json:"reasons,omitempty"`
}

// BurstCauses are the causes of the failures of one error burst.
type BurstCauses struct {
	StartT   int          `json:"startT"`
	EndT     int          `json:"endT"`
	Failures uint64       `json:"failures"`
	Causes   []CauseCount `json:"causes"`
}

// Known is the share of the classified failures with a cause other than
// unknown (1 without failures).
func (c *Causes) Known() float64 {
	if c == nil || c.Failures == 0 {
		return 1
	}
	var unknown uint64
	for _, cc := range c.Total {
		if cc.Cause == CauseUnknown {
			unknown += cc.Count
		}
	}
	return 1 - float64(unknown)/float64(c.Failures)
}

// Lifecycle timings (docs/causes.md#lifecycle-timings); each is also the
// stem of two check metrics, <name>_p50 and <name>_max, in seconds.
const (
	// TimingRegistrationLag is pod Ready → its target healthy.
	TimingRegistrationLag = "registration_lag"
	// TimingDeregistrationLag is pod deletion → its target draining.
	TimingDeregistrationLag = "deregistration_lag"
	// TimingServedAfterDeletion is pod deletion → the last response that
	// named the pod in the backend header.
	TimingServedAfterDeletion = "served_after_deletion"
	// TimingKubeProxySyncLag is an endpoint's removal (its pod's deletion)
	// → the first kube-proxy sync after it, on each sampled node.
	TimingKubeProxySyncLag = "kube_proxy_sync_lag"
	// TimingPreStopDuration is the preStop hook's start (the kubelet's
	// Killing event, else the pod's deletion) → SIGTERM, where the
	// evidence tells when SIGTERM came (docs/causes.md).
	TimingPreStopDuration = "prestop_duration"
	// TimingSigtermToExit is SIGTERM → the container's exit.
	TimingSigtermToExit = "sigterm_to_exit"
	// TimingShutdown is pod deletion → the pod gone from the API (preStop,
	// SIGTERM and exit together).
	TimingShutdown = "shutdown"
)

// TimingNames are the lifecycle timings in the order reports list them.
func TimingNames() []string {
	return []string{TimingRegistrationLag, TimingDeregistrationLag, TimingServedAfterDeletion, TimingKubeProxySyncLag,
		TimingPreStopDuration, TimingSigtermToExit, TimingShutdown}
}

// Lifecycle is how long the pods' and targets' lifecycle steps took in
// the run, from its timeline.
type Lifecycle struct {
	// Timings are the p50 and maximum of each timing measured, in
	// TimingNames order.
	Timings []Timing `json:"timings"`
	// Pods are the timings of each pod that had one, by pod name.
	Pods []PodLifecycle `json:"pods,omitempty"`
}

// Timing is one lifecycle timing over the run.
type Timing struct {
	Name  string        `json:"name"`
	Count int           `json:"count"`
	P50   time.Duration `json:"p50Ns"`
	Max   time.Duration `json:"maxNs"`
}

// PodLifecycle is one pod's timings.
type PodLifecycle struct {
	Pod  string `json:"pod"`
	IP   string `json:"ip,omitempty"`
	Node string `json:"node,omitempty"`
	// Target is the load balancer target of the pod (ip targets).
	Target string `json:"target,omitempty"`
	// Timings by name; kube_proxy_sync_lag as kube_proxy_sync_lag/<node>.
	Timings map[string]time.Duration `json:"timingsNs"`
}

// KubeProxySeries is one node's kube-proxy rule syncs, as sampled.
type KubeProxySeries struct {
	Node string `json:"node"`
	// Syncs are the offsets from the run's start of every sync that was
	// kube-proxy's last one when the node was sampled.
	Syncs []time.Duration `json:"syncsNs"`
}
