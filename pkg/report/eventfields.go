package report

// Keys of Event.Fields: the structured part of a sampler's event, which
// the cause analysis (package cause) reads. Lists are comma-separated.
const (
	// Pod events.
	FieldPod    = "pod"
	FieldNode   = "node"
	FieldIP     = "ip"
	FieldChange = "change" // created, ready, not-ready, terminating, deleted

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
	PodDeleted     = "deleted"
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
