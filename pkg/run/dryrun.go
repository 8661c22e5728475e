package run

import (
	"context"
	"fmt"
	"io"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/scenario"
)

// DryRun prints what a run of plan would do, the API calls of its faults
// included, and changes nothing: no lab is brought up, nothing is applied,
// no load is sent. Faults read the cluster when one is reachable (a kube
// target, or a lab named in the scenario).
func DryRun(ctx context.Context, plan *Plan, opts Options, w io.Writer) error {
	sc := plan.Scenario
	fmt.Fprintf(w, "dry run of %s (%s)\n", sc.Metadata.Name, sc.File)
	var cl *cluster.Cluster
	var lab LabTarget
	namespace := "default"
	switch sc.Target.Kind() {
	case scenario.TargetURL:
		fmt.Fprintf(w, "target: url %s\n", sc.Target.URL)
	case scenario.TargetKube:
		sel := kubeSelection(sc.Target.Kube, opts.Cluster)
		namespace = sel.Namespace
		fmt.Fprintf(w, "target: kube context %q namespace %s, load to %s\n", sel.Context, sel.Namespace, sc.Target.Kube.URL)
		var err error
		if cl, err = cluster.Open(sel); err != nil {
			return err
		}
	default:
		var err error
		if lab, cl, err = dryRunLab(ctx, sc.Target.Lab, opts, w); err != nil {
			return err
		}
	}
	objs, err := cluster.ReadManifests(sc.SetupFiles())
	if err != nil {
		return err
	}
	if err := patchSetup(objs, namespace, sc.Patch, lab); err != nil {
		return err
	}
	if sc.Variant != "" {
		fmt.Fprintf(w, "matrix: combination %s; setup variables change the manifests before they are applied\n", sc.Variant)
	}
	for _, o := range objs {
		ns := o.GetNamespace()
		if ns == "" {
			ns = namespace
		}
		fmt.Fprintf(w, "setup: would apply (server-side, field manager %s) %s %s/%s, and delete it after the run\n", cluster.FieldManager, o.GetKind(), ns, o.GetName())
	}
	for _, p := range sc.Load.Phases {
		fmt.Fprintf(w, "load: would send %s for %s\n", phaseText(p), p.Duration)
	}
	env := &inject.Env{Cluster: cl, Namespace: namespace, DryRun: true, AllowAnyNamespace: opts.AllowAnyNamespace, AllowClusterChanges: true,
		Note: func(source, msg string) { fmt.Fprintf(w, "    %s\n", msg) }}
	for _, f := range plan.Faults {
		fmt.Fprintf(w, "fault at %s: %s\n", f.At, f.Fault.Name())
		if cl == nil {
			fmt.Fprintln(w, "    (its API calls need a reachable cluster: name a running lab with target.lab.name to see them)")
			continue
		}
		if err := f.Fault.Apply(ctx, env); err != nil {
			return fmt.Errorf("dry run of %s: %w", f.Fault.Name(), err)
		}
	}
	return nil
}

// dryRunLab prints what the lab target of opts would do with spec, and
// returns it with the cluster of a running lab that spec names.
func dryRunLab(ctx context.Context, spec *scenario.Lab, opts Options, w io.Writer) (LabTarget, *cluster.Cluster, error) {
	lab, err := labTarget(opts)
	if err != nil {
		return nil, nil, err
	}
	line, rc, err := lab.DryRun(ctx, spec, runLabName(opts))
	if line != "" {
		fmt.Fprintf(w, "target: %s\n", line)
	}
	if err != nil || rc == nil {
		return lab, nil, err
	}
	cl, err := cluster.New(rc)
	return lab, cl, err
}

func phaseText(p scenario.Phase) string {
	if p.Ramp() {
		return fmt.Sprintf("a ramp from %s to %s", p.From, p.To)
	}
	return p.From.String()
}
