package inject

import (
	"reflect"

	"github.com/drillkit/drill/pkg/scenario"
)

// Action is a fault action: its key in a scenario, what it does, how to make
// one and what it needs. Actions lists them all; everything else about an
// action (scenario validation, drill explain, the guards, the journal)
// reads this.
type Action struct {
	// Name is the action's key under faults[], e.g. "rollingUpdate".
	Name string
	// Doc says in one sentence what the fault does.
	Doc string
	// New returns an empty fault of this action, for a scenario's
	// parameters to be decoded into.
	New func() Fault
	// UsesELB: the fault talks to the load balancer's ELBv2 API.
	UsesELB bool
	// ClusterWide: the fault changes what every workload of the cluster
	// shares, so it needs the user's --allow-cluster-changes.
	ClusterWide bool
}

// Actions returns every fault action, in documentation order.
func Actions() []Action {
	return []Action{
		{Name: "rollingUpdate", Doc: "Restart a Deployment's pods by rolling update.", New: func() Fault { return &RollingUpdate{} }},
		{Name: "scale", Doc: "Change a Deployment's replica count.", New: func() Fault { return &Scale{} }},
		{Name: "podKill", Doc: "Delete pods matching a selector.", New: func() Fault { return &PodKill{} }},
		{Name: "selectorSwitch", Doc: "Point a Service at other pods by changing its selector.", New: func() Fault { return &SelectorSwitch{} }},
		{Name: "blueGreen", Doc: "Point an Ingress's backends at a second Service.", New: func() Fault { return &BlueGreen{} }},
		{Name: "conntrackFlood", Doc: "Fill nodes' conntrack tables with flood traffic.", New: func() Fault { return &ConntrackFlood{} }},
		{Name: "conntrackFlush", Doc: "Delete nodes' conntrack entries by protocol, destination port or address, or a Service's ports, once or periodically.", New: func() Fault { return &ConntrackFlush{} }},
		{Name: "chaosMesh", Doc: "Create a Chaos Mesh resource (kube targets with Chaos Mesh installed).", New: func() Fault { return &ChaosMesh{} }},
		{Name: "deregistrationDelay", Doc: "Change the deregistration delay of an Ingress's target groups through the load balancer API.",
			New: func() Fault { return &DeregistrationDelay{} }, UsesELB: true},
		{Name: "kubeProxyMode", Doc: "Switch kube-proxy on every node to another mode through its ConfigMap and DaemonSet (real clusters; needs --allow-cluster-changes).",
			New: func() Fault { return &KubeProxyMode{} }, ClusterWide: true},
	}
}

// Lookup returns the action named name.
func Lookup(name string) (Action, bool) {
	for _, a := range Actions() {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// ActionOf returns the action f is a fault of.
func ActionOf(f Fault) Action {
	t := reflect.TypeOf(f)
	for _, a := range Actions() {
		if reflect.TypeOf(a.New()) == t {
			return a
		}
	}
	return Action{Name: t.String()}
}

// Catalog describes the actions for the scenario parser and drill explain.
func Catalog() []scenario.FaultAction {
	var out []scenario.FaultAction
	for _, a := range Actions() {
		out = append(out, scenario.FaultAction{Name: a.Name, Doc: a.Doc, Params: reflect.TypeOf(a.New()).Elem()})
	}
	return out
}

func names() []string {
	var out []string
	for _, a := range Actions() {
		out = append(out, a.Name)
	}
	return out
}
