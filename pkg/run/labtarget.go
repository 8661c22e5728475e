package run

import (
	"context"
	"errors"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/scenario"
)

// RunLabName is the name of the lab a run brings up for itself unless
// Options.LabName names another.
const RunLabName = "run"

// LabTarget reaches the lab a scenario with target lab runs on: the
// embedded cluster and its load balancer. The lab implements it
// (pkg/lab/labtarget) and cmd/drill passes it in Options.Lab, so that
// pkg/run has no lab in its import graph.
type LabTarget interface {
	// Open brings up the lab of req (or opens the running one its spec
	// names), loads the images into its nodes and starts its load
	// balancer. It returns a Lab whose Close undoes what it did, on error
	// too, unless it did nothing (nil).
	Open(ctx context.Context, req LabRequest) (*Lab, error)
	// DryRun describes what Open would do, in a line for the dry run, and
	// changes nothing. For a running lab that spec names it also returns
	// the lab's cluster, which the faults read. The line comes with an
	// error too.
	DryRun(ctx context.Context, spec *scenario.Lab, name string) (string, *rest.Config, error)
	// ReadinessGates gives every Deployment of the setup the readiness gate
	// of each ip-target group of the lab's load balancer its pods are
	// registered in, or, with on false, removes every such gate. namespace
	// is where objects without one are applied.
	ReadinessGates(objs []*unstructured.Unstructured, namespace string, on bool) error
}

// LabRequest is the lab a run asks LabTarget.Open for.
type LabRequest struct {
	Spec *scenario.Lab
	// Name names the lab brought up when Spec names no running one.
	Name string
	// Images are archives loaded into every node.
	Images   []string
	Progress io.Writer
	// OnFailure is called, concurrently, with every request that failed
	// at the load balancer (at a target, or for want of one) and every 5xx
	// a target answered.
	OnFailure func(TargetFailure)
}

// TargetFailure is a request that failed at the load balancer, as the
// load balancer logged it.
type TargetFailure struct {
	Time time.Time
	// Target is the target's key (id:port); empty when there was none to
	// send to. TargetState is its state when it was chosen.
	Target      string
	TargetState string
	// Status is what the client got, TargetStatus what the target
	// answered (0 if it did not); Outcome says why (e.g.
	// target_connection_refused, or ok for a 5xx of the target's).
	Status       int
	TargetStatus int
	Outcome      string
	// Reused is set when the request went on a kept-alive connection.
	Reused bool
}

// Lab is an open lab target: what a run needs of it.
type Lab struct {
	Config     *rest.Config
	Kubeconfig string
	// URL is the load balancer's listener, where the load goes.
	URL string
	// ELB reaches the load balancer's ELBv2 API.
	ELB elbv2.Options
	// Details and Notes describe the lab in the report.
	Details map[string]string
	Notes   []string
	// Owned is set when Open brought the lab up: it goes down with
	// everything in it, the setup included.
	Owned bool
	// Close stops the load balancer and takes down an owned lab.
	Close func(context.Context) error
}

// errNoLab is the failure of a lab-target run without Options.Lab.
var errNoLab = errors.New("target.lab: this build has no lab; give the scenario a kube or url target, or run it with drill, which has the lab")

// labTarget returns the lab target of opts, or errNoLab.
func labTarget(opts Options) (LabTarget, error) {
	if opts.Lab == nil {
		return nil, errNoLab
	}
	return opts.Lab, nil
}

// runLabName is the name of the lab a run with opts brings up.
func runLabName(opts Options) string {
	if opts.LabName != "" {
		return opts.LabName
	}
	return RunLabName
}
