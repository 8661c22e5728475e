package run

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/scenario"
)

// RunLabName is the name of the lab a run brings up for itself unless
// Options.LabName names another.
const RunLabName = "run"

// runLabName is the name of the lab a run with opts brings up.
func runLabName(opts Options) string {
	if opts.LabName != "" {
		return opts.LabName
	}
	return RunLabName
}

// openLab brings up the embedded lab for a run (or opens the one named),
// loads the scenario's image archives into its nodes, starts its ALB in
// this process, and points the load at the ALB.
func (s *system) openLab(ctx context.Context, spec *scenario.Lab, name string, images []string, progress io.Writer) error {
	l, err := s.lab(ctx, spec, name, progress)
	if err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	if len(images) > 0 {
		names, err := l.LoadImages(ctx, images...)
		if err != nil {
			return &Error{Code: report.ExitError, Err: fmt.Errorf("target.lab.images: %w", err)}
		}
		fmt.Fprintf(progress, "loaded images into every node: %s\n", strings.Join(names, ", "))
	}
	rc, err := l.RESTConfig()
	if err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	if s.cluster, err = cluster.New(rc); err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	s.attribution = newAttribution()
	a, err := alb.StartLab(ctx, l, alb.LabConfig{OnRequest: s.attribution.record})
	if err != nil {
		return &Error{Code: report.ExitError, Err: fmt.Errorf("lab ALB: %w", err)}
	}
	s.closers = append(s.closers, func(context.Context) error { return a.Close() })
	api := elbv2.Options{Endpoint: a.APIURL()}
	if s.elb, err = elbv2.New(ctx, api); err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	s.elbAPI = &inject.LoadBalancerAPI{Options: api, Lab: true}
	plan := l.Plan()
	mode := lab.ProxyModeLabel(plan.ProxyMode)
	s.base, s.namespace, s.kubeconfig = a.URL(), "default", l.Kubeconfig()
	s.target = report.Target{Kind: report.TargetLab, URL: a.URL(), Details: map[string]string{
		"lab": plan.Name, "nodes": strconv.Itoa(len(plan.Nodes)), "proxyMode": mode, "nodeRuntime": plan.NodeRuntime, "loadBalancer": "lab ALB " + a.URL(),
	}}
	if mode != plan.ProxyMode {
		s.notes = append(s.notes, "kube-proxy mode "+mode)
	}
	if t := lab.TimeoutsString(plan.ConntrackTimeouts); t != "" {
		s.target.Details["conntrackTimeouts"] = t
	}
	if plan.HostConntrackMaxSet > 0 {
		s.target.Details["hostConntrackMax"] = strconv.Itoa(plan.HostConntrackMaxSet)
		s.notes = append(s.notes, fmt.Sprintf("the host's global nf_conntrack_max was set to %d for this run (it was %d; restored afterwards)", plan.HostConntrackMaxSet, plan.HostConntrackMaxSaved))
	}
	return nil
}

// lab opens the lab the scenario names, or brings one up under name that
// the run tears down.
func (s *system) lab(ctx context.Context, spec *scenario.Lab, name string, progress io.Writer) (*lab.Lab, error) {
	if spec.Name != "" {
		l, err := lab.Open(spec.Name)
		if err != nil {
			return nil, fmt.Errorf("target.lab.name %q: %w", spec.Name, err)
		}
		return l, nil
	}
	l, err := lab.Up(ctx, lab.Config{Name: name, Nodes: spec.Nodes, ProxyMode: spec.ProxyMode,
		NodeRuntime: spec.NodeRuntime, HostConntrackMax: spec.HostConntrackMax, Progress: progress, ConntrackTimeouts: spec.ConntrackTimeouts})
	if l != nil {
		// Taking the lab down puts the host back as it was: it is not
		// cut short by timeouts.delete or a second interrupt. It takes
		// the setup with it, which is not deleted on its own (ownLab).
		s.ownLab = true
		s.closers = append(s.closers, func(ctx context.Context) error { return l.Down(context.WithoutCancel(ctx)) })
	}
	return l, err
}
