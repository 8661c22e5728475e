// Package labtarget is the lab as a run's target (run.LabTarget): it brings
// up the embedded cluster or opens a running one, loads images into its
// nodes, and starts the lab ALB in this process, whose request log feeds
// the run's attribution.
package labtarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

// Target is the lab target of drill's runs.
type Target struct{}

var _ run.LabTarget = Target{}

// Open brings up the lab of req, or opens the running one its spec names,
// loads req's images into every node, and starts the lab ALB in this
// process.
func (Target) Open(ctx context.Context, req run.LabRequest) (*run.Lab, error) {
	var closers []func(context.Context) error
	closeAll := func(ctx context.Context) error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i](ctx))
		}
		return errors.Join(errs...)
	}
	out := &run.Lab{Close: closeAll}
	l, err := openLab(ctx, req.Spec, req.Name, req.Progress)
	if l != nil && req.Spec.Name == "" {
		// Taking the lab down puts the host back as it was: it is not
		// cut short by timeouts.delete or a second interrupt.
		out.Owned = true
		closers = append(closers, func(ctx context.Context) error { return l.Down(context.WithoutCancel(ctx)) })
	}
	if err != nil {
		return out, err
	}
	if len(req.Images) > 0 {
		names, err := l.LoadImages(ctx, req.Images...)
		if err != nil {
			return out, fmt.Errorf("target.lab.images: %w", err)
		}
		fmt.Fprintf(progress(req.Progress), "loaded images into every node: %s\n", strings.Join(names, ", "))
	}
	if out.Config, err = l.RESTConfig(); err != nil {
		return out, err
	}
	a, err := alb.StartLab(ctx, l, alb.LabConfig{OnRequest: onFailure(req.OnFailure)})
	if err != nil {
		return out, fmt.Errorf("lab ALB: %w", err)
	}
	closers = append(closers, func(context.Context) error { return a.Close() })
	out.URL, out.Kubeconfig, out.ELB = a.URL(), l.Kubeconfig(), elbv2.Options{Endpoint: a.APIURL()}
	out.Details, out.Notes = describe(l.Plan(), a.URL())
	return out, nil
}

// openLab opens the lab spec names, or brings one up under name.
func openLab(ctx context.Context, spec *scenario.Lab, name string, progress io.Writer) (*lab.Lab, error) {
	if spec.Name != "" {
		l, err := lab.Open(spec.Name)
		if err != nil {
			return nil, fmt.Errorf("target.lab.name %q: %w", spec.Name, err)
		}
		return l, nil
	}
	return lab.Up(ctx, lab.Config{Name: name, Nodes: spec.Nodes, ProxyMode: spec.ProxyMode,
		HostConntrackMax: spec.HostConntrackMax, Progress: progress, ConntrackTimeouts: spec.ConntrackTimeouts})
}

// describe returns the report's details of a lab and the notes on what it
// changed or emulates.
func describe(plan lab.Plan, url string) (map[string]string, []string) {
	mode := lab.ProxyModeLabel(plan.ProxyMode)
	details := map[string]string{
		"lab": plan.Name, "nodes": strconv.Itoa(len(plan.Nodes)), "proxyMode": mode, "loadBalancer": "lab ALB " + url,
	}
	var notes []string
	if mode != plan.ProxyMode {
		notes = append(notes, "kube-proxy mode "+mode)
	}
	if t := lab.TimeoutsString(plan.ConntrackTimeouts); t != "" {
		details["conntrackTimeouts"] = t
	}
	if plan.HostConntrackMaxSet > 0 {
		details["hostConntrackMax"] = strconv.Itoa(plan.HostConntrackMaxSet)
		notes = append(notes, fmt.Sprintf("the host's global nf_conntrack_max was set to %d for this run (it was %d; restored afterwards)", plan.HostConntrackMaxSet, plan.HostConntrackMaxSaved))
	}
	return details, notes
}

// onFailure makes the ALB's request hook of a run's failure hook: it passes
// on the requests that failed (at a target, or for want of one) and the
// 5xx targets answered.
func onFailure(f func(run.TargetFailure)) func(dataplane.RequestLog) {
	if f == nil {
		return nil
	}
	return func(l dataplane.RequestLog) {
		if l.Outcome == dataplane.OutcomeOK && l.Status < 500 || l.Outcome == dataplane.OutcomeNoRule {
			return
		}
		f(run.TargetFailure{Time: l.Time, Target: l.Target, TargetState: l.TargetState, Status: l.Status,
			TargetStatus: l.TargetStatus, Outcome: l.Outcome, Reused: l.ReusedConn})
	}
}

// progress is w, or a writer that drops everything when w is nil.
func progress(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
