package report

// Keys of Event.Fields: the structured part of a sampler's event, which
// the cause analysis (package cause) reads. Lists are comma-separated.
const (
	// Pod events.
	FieldPod    = "pod"
	FieldNode   = "node"
	FieldIP     = "ip"
	FieldChange = "change" // created, ready, not-ready, terminating, killing, prestop-failed, exited, deleted
	// FieldGrace is the deletion's grace period in seconds (terminating).
	FieldGrace = "grace"
	// Container fields of killing, prestop-failed and exited.
	FieldContainer = "container"
	// FieldPreStop is the container's preStop handler: none, sleep, exec
	// or httpGet; FieldPreStopSleep the sleep action's seconds.
	FieldPreStop      = "preStop"
	FieldPreStopSleep = "preStopSleep"
	FieldExitCode     = "exitCode"
	// FieldFinishedAt is the container's terminated finishedAt (RFC 3339,
	// whole seconds, the node's clock).
	FieldFinishedAt = "finishedAt"
	// FieldSigterm is when the app got SIGTERM, as its termination message
	// states it (RFC 3339 with nanoseconds, the node's clock).
	FieldSigterm = "sigterm"

	// Endpoint events: the Service and its addresses by condition.
	FieldService            = "service"
	FieldReady              = "ready"
	FieldTerminating        = "terminating"
	FieldTerminatingServing = "serving"
	FieldNotReady           = "notReady"

	// Target events: the target (id:port), its group and the transition.
	FieldTarget      = "target"
	FieldTargetGroup = "targetGroup"
	FieldFrom        = "from"
	FieldTo          = "to"
	FieldReason      = "reason"
)

// Pod changes of FieldChange.
const (
	PodCreated     = "created"
	PodReady       = "ready"
	PodNotReady    = "not-ready"
	PodTerminating = "terminating"
	// PodKilling is the kubelet's Killing event of a container: it is
	// about to run the preStop hook, or to send SIGTERM without one.
	PodKilling = "killing"
	// PodPreStopFailed is the kubelet's FailedPreStopHook event: SIGTERM
	// follows at once.
	PodPreStopFailed = "prestop-failed"
	// PodExited is a container's state becoming terminated.
	PodExited  = "exited"
	PodDeleted = "deleted"
)

// Details are the fields a rendering shows beside the message: those of
// faults and notes. The fields of pod, endpoint and target events are the
// message in structured form.
func (e Event) Details() map[string]string {
	switch e.Kind {
	case EventPod, EventEndpoint, EventTarget:
		return nil
	}
	return e.Fields
}
