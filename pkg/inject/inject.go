// Package inject applies the faults of a scenario to a cluster and recovers
// them. Every fault is an Apply/Recover pair: Recover undoes what Apply
// changed, is idempotent, and runs whether the run passed, failed or was
// interrupted.
package inject

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/scenario"
)

// Fault is one injected event.
type Fault interface {
	// Name says what the fault does, e.g. "rollingUpdate deployment/web".
	Name() string
	// Apply injects the fault. It may block until the fault has played out
	// (a rollout completed).
	Apply(ctx context.Context, env *Env) error
	// Recover undoes what Apply changed; calling it again, or without Apply
	// having run, is harmless.
	Recover(ctx context.Context, env *Env) error
}

// Env is what faults act on.
type Env struct {
	Cluster *cluster.Cluster
	// Namespace is used by faults whose spec names none.
	Namespace string
	// Note records a step on the run's timeline.
	Note func(source, msg string)
	// Changed is called by a fault with what is needed to undo a change,
	// before the change is made, so that the journal holds it.
	Changed func(Fault)
	// AllowAnyNamespace lets faults act in namespaces that do not carry the
	// opt-in label OptInLabel=OptInValue (the user's --allow-any-namespace).
	AllowAnyNamespace bool
	// ELB is the load balancer API (the lab ALB's, or AWS's), when drill
	// can reach one.
	ELB *elbv2.Client
	// LabELBEnded says the ELBv2 API was the lab ALB's and has ended with
	// the drill process that served it, and with it every change made
	// through it (drill recover after a killed run on the lab).
	LabELBEnded bool
	// AllowClusterChanges lets faults change cluster-wide components
	// (kubeProxyMode): the user's --allow-cluster-changes.
	AllowClusterChanges bool
	// DryRun makes every fault print, through Note, the API calls it would
	// make, and change nothing.
	DryRun bool
}

func (e *Env) changed(f Fault) {
	if e.Changed != nil {
		e.Changed(f)
	}
}

func (e *Env) note(source, format string, args ...any) {
	if e.Note != nil {
		e.Note(source, fmt.Sprintf(format, args...))
	}
}

// Scheduled is a fault with its offset from the start of the load.
type Scheduled struct {
	At    time.Duration
	Fault Fault
}

// Parse turns the scenario's faults into runnable ones, in order of their
// offsets, reporting every invalid one at once with its position.
func Parse(sc *scenario.Scenario) ([]Scheduled, error) {
	var out []Scheduled
	var errs scenario.Errors
	for _, f := range sc.FaultsByTime() {
		ft, err := parse(sc.File, f)
		if err != nil {
			if es, ok := err.(scenario.Errors); ok {
				errs = append(errs, es...)
				continue
			}
			errs = append(errs, scenario.Error{File: sc.File, Line: f.Line, Col: f.Col, Path: f.Path, Msg: err.Error()})
			continue
		}
		out = append(out, Scheduled{At: f.At, Fault: ft})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func parse(file string, f scenario.Fault) (Fault, error) {
	ft, err := newFault(f.Action)
	if err != nil {
		return nil, err
	}
	if err := f.DecodeSpec(file, ft); err != nil {
		return nil, err
	}
	if v, ok := ft.(validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return ft, nil
}

// validator is a fault that checks its decoded parameters further than the
// struct tags can.
type validator interface {
	Validate() error
}

// newFault returns an empty fault of action.
func newFault(action string) (Fault, error) {
	a, ok := Lookup(action)
	if !ok {
		return nil, fmt.Errorf("%s is not available in this drill yet; available: %s", action, strings.Join(names(), ", "))
	}
	return a.New(), nil
}
