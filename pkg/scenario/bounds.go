package scenario

import (
	"fmt"
	"strconv"
	"time"
)

// Bounds above which a value is far more likely a typo than a plan: no
// machine sends more, and no load test runs longer. Options.AllowHuge (drill
// run --allow-huge, drill validate --allow-huge) lifts them.
const (
	// MaxRatePerSecond bounds every rate of the load.
	MaxRatePerSecond = 100000
	// MaxLoadDuration bounds how long the load lasts, all phases together.
	MaxLoadDuration = 24 * time.Hour
	// MaxTimeout bounds load.timeout and the timeouts section.
	MaxTimeout = time.Hour
	// MaxRequests bounds the number of load.requests entries.
	MaxRequests = 1000
	// MaxPhases bounds the number of load.phases entries.
	MaxPhases = 1000
	// MaxWorkers bounds load.workers and load.maxWorkers.
	MaxWorkers = 100000
	// MaxConnections bounds load.connections and load.maxConnections.
	MaxConnections = 100000
	// MaxBodyFile bounds the size of a request's bodyFile: every worker
	// sends it from memory.
	MaxBodyFile = 16 << 20
)

// hugeHint ends every message about a value beyond a bound.
const hugeHint = "check for a typo, or pass --allow-huge to drill run and drill validate if it is meant"

// Options changes how a scenario is read.
type Options struct {
	// AllowHuge accepts values beyond the bounds (MaxRatePerSecond and the
	// others), which are otherwise errors.
	AllowHuge bool
	// Faults are the fault actions a scenario may name, with their
	// parameters, which are checked with the rest of the file. Without
	// them, a fault item's one key besides "at" is taken as its action
	// and its parameters are left to the injector.
	Faults []FaultAction
	// Set overrides fields of the file (drill run --set), in order.
	Set []Set
	// LookupEnv reads the variables of ${VAR} in the file; nil reads the
	// process's environment.
	LookupEnv func(name string) (string, bool)
}

// bound is one documented bound, for Explain.
type bound struct {
	fields, limit string
}

// bounds lists the bounds for Explain and docs/scenario.md, in one place.
func bounds() []bound {
	return []bound{
		{"load.rate, load.phases[].rate, from, to", strconv.Itoa(MaxRatePerSecond) + "/s"},
		{"load.duration, sum of load.phases[].duration", short(MaxLoadDuration)},
		{"load.timeout", short(MaxTimeout)},
		{"load.requests", strconv.Itoa(MaxRequests) + " entries"},
		{"load.phases", strconv.Itoa(MaxPhases) + " entries"},
		{"load.workers, load.maxWorkers", strconv.Itoa(MaxWorkers)},
		{"load.connections, load.maxConnections", strconv.Itoa(MaxConnections)},
		{"timeouts.setup, timeouts.delete, timeouts.recover", short(MaxTimeout)},
		{"load.requests[].bodyFile", strconv.Itoa(MaxBodyFile>>20) + " MiB"},
	}
}

// huge records a value beyond a bound unless the options allow it.
func (d *decoder) huge(p pos, path, format string, args ...any) {
	if d.opts.AllowHuge {
		return
	}
	d.errorf(p, path, "%s: %s", fmt.Sprintf(format, args...), hugeHint)
}

// hugeRate checks one rate against MaxRatePerSecond.
func (d *decoder) hugeRate(path string, r Rate) {
	if d.valid(path) && r.PerSecond() > MaxRatePerSecond {
		d.huge(d.valueAt(path), path, "rate %s is above the bound of %d/s, more than one machine can send", r, MaxRatePerSecond)
	}
}

// hugeCount checks a number against its bound.
func (d *decoder) hugeCount(path, what string, n, max int) {
	if d.valid(path) && n > max {
		d.huge(d.valueAt(path), path, "%d %s is above the bound of %d", n, what, max)
	}
}

// hugeDuration checks a duration against its bound.
func (d *decoder) hugeDuration(path, what string, v, max time.Duration) {
	if d.valid(path) && v > max {
		d.huge(d.valueAt(path), path, "%s %s is above the bound of %s", what, short(v), short(max))
	}
}

// validateBounds checks the load against the bounds.
func validateBounds(d *decoder, l *LoadSpec) {
	d.hugeRate("load.rate", l.Rate)
	d.hugeDuration("load.duration", "duration", l.Duration, MaxLoadDuration)
	if d.valid("load.phases") {
		var total time.Duration
		for i, p := range l.Phases {
			path := fmt.Sprintf("load.phases[%d]", i)
			d.hugeRate(path+".rate", p.Rate)
			d.hugeRate(path+".from", p.From)
			d.hugeRate(path+".to", p.To)
			total += p.Duration
		}
		if total > MaxLoadDuration {
			d.huge(d.at("load.phases"), "load.phases", "the phases last %s together, above the bound of %s", short(total), short(MaxLoadDuration))
		}
		d.hugeCount("load.phases", "phases", len(l.Phases), MaxPhases)
	}
	d.hugeDuration("load.timeout", "timeout", l.Timeout, MaxTimeout)
	d.hugeCount("load.requests", "requests", len(l.Requests), MaxRequests)
	d.hugeCount("load.workers", "workers", l.Workers, MaxWorkers)
	d.hugeCount("load.maxWorkers", "workers", l.MaxWorkers, MaxWorkers)
	d.hugeCount("load.connections", "connections", l.Connections, MaxConnections)
	d.hugeCount("load.maxConnections", "connections", l.MaxConnections, MaxConnections)
}
