package run

import (
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/scenario"
)

// Plan is a validated scenario with its faults ready to inject.
type Plan struct {
	Scenario *scenario.Scenario
	Faults   []inject.Scheduled
}

// Prepare loads and validates the scenario file at path, faults included,
// so that an invalid file fails before any load or fault.
func Prepare(path string, opts scenario.Options) (*Plan, error) {
	opts.Faults = inject.Catalog()
	sc, err := scenario.LoadWith(path, opts)
	if err != nil {
		return nil, err
	}
	return prepare(sc)
}

// PrepareData is Prepare for a scenario held in memory (scenario.LoadData).
func PrepareData(file string, data []byte, opts scenario.Options) (*Plan, error) {
	opts.Faults = inject.Catalog()
	sc, err := scenario.LoadData(file, data, opts)
	if err != nil {
		return nil, err
	}
	return prepare(sc)
}

func prepare(sc *scenario.Scenario) (*Plan, error) {
	if sc.Target.Kind() == scenario.TargetLab && len(sc.Setup) == 0 && sc.Target.Lab.Name == "" {
		return nil, scenario.Errors{{File: sc.File, Line: 1, Col: 1, Path: "setup",
			Msg: "a lab target needs setup manifests with the workload and an Ingress (ingressClassName alb) for the lab load balancer to route to; add setup (see scenarios/manifests/web.yaml) or name a running lab with target.lab.name"}}
	}
	faults, err := inject.Parse(sc)
	if err != nil {
		return nil, err
	}
	return &Plan{Scenario: sc, Faults: faults}, nil
}

// Variants returns one plan per combination of the scenario's matrix, each
// with its own faults (a fault keeps what it changed); nil without a
// matrix.
func (p *Plan) Variants() ([]*Plan, error) {
	var out []*Plan
	for _, v := range p.Scenario.Matrix.Variants() {
		sc := p.Scenario.WithVariant(v)
		faults, err := inject.Parse(sc)
		if err != nil {
			return nil, err
		}
		out = append(out, &Plan{Scenario: sc, Faults: faults})
	}
	return out, nil
}

// Trial returns a plan for one more trial of p's scenario, with faults of
// its own: a fault keeps what it changed, so trials do not share them.
func (p *Plan) Trial() (*Plan, error) {
	faults, err := inject.Parse(p.Scenario)
	if err != nil {
		return nil, err
	}
	return &Plan{Scenario: p.Scenario, Faults: faults}, nil
}
