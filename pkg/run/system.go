package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drillkit/drill/deploy"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
	"github.com/drillkit/drill/pkg/scenario"
)

// system is where the system under test lives for one run: the URL load goes
// to and, for cluster targets, the cluster faults act on.
type system struct {
	base    string
	target  report.Target
	cluster *cluster.Cluster
	// elb reads the load balancer's target health, when drill can; elbAPI
	// says how to reach it again, for drill recover.
	elb    *elbv2.Client
	elbAPI *inject.LoadBalancerAPI
	// lab is the lab target, and attribution counts failures per load
	// balancer target, when drill runs the load balancer (lab).
	lab         LabTarget
	attribution *attribution
	// groups are the target groups of the setup's Ingresses.
	groups    []elbv2.TargetGroup
	namespace string
	// kubeconfig and context reach the cluster again, for drill recover.
	kubeconfig, context string
	// ownLab is set when the run brought up its lab, which goes down with
	// everything in it after the run.
	ownLab  bool
	notes   []string
	applied []cluster.Object
	closers []func(context.Context) error
}

// access is how drill recover reaches what the run's faults change.
func (s *system) access() inject.Access {
	return inject.Access{Kubeconfig: s.kubeconfig, Context: s.context, Namespace: s.namespace, LoadBalancerAPI: s.elbAPI}
}

// kubeSelection is the cluster a kube target names, with the command
// line's overrides.
func kubeSelection(k *scenario.Kube, override cluster.Selection) cluster.Selection {
	return cluster.Selection{Kubeconfig: k.Kubeconfig, Context: k.Context, Namespace: k.Namespace}.Override(override)
}

// openSystem reaches the scenario's target and applies its setup manifests.
// On error everything it set up is already undone.
func openSystem(ctx context.Context, sc *scenario.Scenario, opts Options) (s *system, err error) {
	s = &system{}
	defer func() {
		if err == nil {
			return
		}
		cctx, cancel := cleanupContext(ctx, opts.Insist, "delete", sc.Timeouts.Delete)
		defer cancel()
		if cerr := s.close(cctx); cerr != nil {
			// What is left outranks why the setup failed.
			err = errors.Join(&Error{Code: report.ExitUnrecovered, Err: fmt.Errorf("clean up after the failed setup: %w; remove what is left by hand", cerr)}, err)
		}
	}()
	switch sc.Target.Kind() {
	case scenario.TargetURL:
		s.base = sc.Target.URL
		s.target = report.Target{Kind: report.TargetURL, URL: sc.Target.URL}
		return s, nil
	case scenario.TargetKube:
		sel := kubeSelection(sc.Target.Kube, opts.Cluster)
		s.base, s.namespace, s.kubeconfig, s.context = sc.Target.Kube.URL, sel.Namespace, sel.Kubeconfig, sel.Context
		s.target = report.Target{Kind: report.TargetKube, URL: s.base, Details: map[string]string{"context": sel.Context, "namespace": sel.Namespace}}
		if s.cluster, err = cluster.Open(sel); err != nil {
			return s, &Error{Code: report.ExitError, Err: err}
		}
		if needsELB(sc) {
			if s.elb, err = elbv2.New(ctx, elbv2.Options{}); err != nil {
				return s, &Error{Code: report.ExitError, Err: err}
			}
			s.elbAPI = &inject.LoadBalancerAPI{Options: elbv2.Options{Region: s.elb.Region()}}
		}
	default:
		if err := s.openLab(ctx, sc, opts); err != nil {
			return s, err
		}
	}
	if err := s.setup(ctx, sc); err != nil {
		return s, &Error{Code: report.ExitError, Err: err}
	}
	return s, nil
}

// setup applies the scenario's manifests and waits for them to be ready,
// within timeouts.setup.
func (s *system) setup(ctx context.Context, sc *scenario.Scenario) error {
	ctx, cancel := withLimit(ctx, "setup", sc.Timeouts.Setup)
	defer cancel()
	return s.apply(ctx, sc)
}

// apply applies the scenario's manifests and waits for them to be ready.
func (s *system) apply(ctx context.Context, sc *scenario.Scenario) error {
	files := sc.SetupFiles()
	if len(files) == 0 && s.elb == nil {
		return nil
	}
	objs, err := cluster.ReadManifests(files)
	if err != nil {
		return err
	}
	if err := patchSetup(objs, s.namespace, sc.Patch, s.lab); err != nil {
		return err
	}
	if len(files) > 0 {
		s.notes = append(s.notes, adviceNotes(sc, objs)...)
	}
	if s.target.Kind == report.TargetLab && len(sc.Sample.Nodes) > 0 {
		// drill owns the lab: it runs its node agents there itself.
		agents, err := deploy.AgentObjects("")
		if err != nil {
			return err
		}
		objs = append(agents, objs...)
	}
	if !s.ownLab {
		s.closers = append(s.closers, func(ctx context.Context) error { return s.cluster.Delete(ctx, s.applied) })
	}
	s.applied, err = s.cluster.Apply(ctx, s.namespace, objs)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if err := s.cluster.WaitReady(ctx, s.applied); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if s.elb != nil {
		if s.groups, err = s.waitTargets(ctx); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	if s.target.Kind == report.TargetLab && len(sc.Sample.Nodes) > 0 {
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := sample.NewNodeSampler(s.cluster.Client, sample.AgentConfig{}).WaitAgents(wctx); err != nil {
			return fmt.Errorf("setup: node agents: %w", err)
		}
	}
	return nil
}

// needsELB reports whether sc samples the load balancer or has a fault that
// talks to its API.
func needsELB(sc *scenario.Scenario) bool {
	if sc.Sample.LoadBalancer {
		return true
	}
	for _, f := range sc.Faults {
		if a, _ := inject.Lookup(f.Action); a.UsesELB {
			return true
		}
	}
	return false
}

// close undoes what openSystem did, last step first.
func (s *system) close(ctx context.Context) error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i](ctx))
	}
	s.closers = nil
	return errors.Join(errs...)
}
