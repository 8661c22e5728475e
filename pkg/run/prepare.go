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
func Prepare(path string) (*Plan, error) {
	sc, err := scenario.Load(path)
	if err != nil {
		return nil, err
	}
	faults, err := inject.Parse(sc)
	if err != nil {
		return nil, err
	}
	return &Plan{Scenario: sc, Faults: faults}, nil
}
