package run

import (
	"context"

	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/report"
)

// preflight checks, before a request is sent, that the load may go where
// the scenario sends it and gets there, and that the faults may act in
// the target's namespace; it returns the load's configuration.
func preflight(ctx context.Context, plan *Plan, sys *system, opts Options) (load.Config, error) {
	sc := plan.Scenario
	cfg, err := loadConfig(sc.Load, sys.base, Guard(opts.AllowRemote))
	if err != nil {
		return cfg, &Error{Code: report.ExitUsage, Err: err}
	}
	cfg.Redactor = redactorOf(sc)
	if err := checkTargets(ctx, cfg); err != nil {
		return cfg, err
	}
	if err := load.CheckReachable(ctx, cfg); err != nil {
		return cfg, &Error{Code: report.ExitError, Err: err}
	}
	if sys.cluster != nil && len(plan.Faults) > 0 && !allowAnyNamespace(sys, opts) {
		probe := &inject.Env{Cluster: sys.cluster}
		if err := probe.Allowed(ctx, plan.Faults[0].Fault, sys.namespace); err != nil {
			return cfg, &Error{Code: report.ExitUsage, Err: err}
		}
	}
	return cfg, nil
}

// allowAnyNamespace says whether faults may act in namespaces without the
// opt-in label: lab targets always may, drill owns the lab.
func allowAnyNamespace(sys *system, opts Options) bool {
	return opts.AllowAnyNamespace || sys.target.Kind == report.TargetLab
}
