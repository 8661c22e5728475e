package run

import (
	"context"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/scenario"
)

// openLab opens the scenario's lab through the lab target of opts and
// points the load at the lab's load balancer, whose request log feeds the
// attribution.
func (s *system) openLab(ctx context.Context, sc *scenario.Scenario, opts Options) error {
	lt, err := labTarget(opts)
	if err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	s.lab = lt
	s.attribution = newAttribution()
	l, err := lt.Open(ctx, LabRequest{Spec: sc.Target.Lab, Name: runLabName(opts), Images: sc.ImageFiles(),
		Progress: opts.Progress, OnFailure: s.attribution.record})
	if l != nil {
		// Taking an owned lab down takes the setup with it, which is not
		// deleted on its own.
		s.ownLab = l.Owned
		s.closers = append(s.closers, l.Close)
	}
	if err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	if s.cluster, err = cluster.New(l.Config); err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	if s.elb, err = elbv2.New(ctx, l.ELB); err != nil {
		return &Error{Code: report.ExitError, Err: err}
	}
	s.elbAPI = &inject.LoadBalancerAPI{Options: l.ELB, Lab: true}
	s.base, s.namespace, s.kubeconfig = l.URL, "default", l.Kubeconfig
	s.target = report.Target{Kind: report.TargetLab, URL: l.URL, Details: l.Details}
	s.notes = l.Notes
	return nil
}
