package run

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/sample"
)

// Observer watches a run as it happens (Options.Observer): the live
// metrics. Its methods are called from the run's goroutines and must be
// quick and safe for concurrent use; the samplers' readings come through
// the embedded sample.Observer.
type Observer interface {
	sample.Observer
	// LoadStarted is called once, as the load starts at t0 with its
	// schedule; inflight counts its requests sent and not yet answered.
	LoadStarted(t0 time.Time, schedule *load.PhasePacer, inflight *metric.InFlight)
	// Result is called with every result as it arrives, from one
	// goroutine. It must not keep or change r.
	Result(r *vegeta.Result)
	// LoadEnded is called once the load has ended.
	LoadEnded()
	// Fault is called with active true when a fault starts being applied,
	// and false once it was recovered.
	Fault(name, action string, active bool)
}
