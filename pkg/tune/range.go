package tune

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/scenario"
)

// Range is the values of one ordered matrix variable a search may run:
// Lo, Lo+Step, Lo+2·Step, ... and Hi, in the variable's unit (seconds or a
// count).
type Range struct {
	Var        string
	Unit       scenario.Unit
	Lo, Hi     int64
	Resolution int64
}

// ParseRange reads --vary VARIABLE=LOW..HIGH and --resolution (empty for
// one unit: 1s or 1). Every problem is returned at once.
func ParseRange(vary, resolution string) (Range, error) {
	name, span, ok := strings.Cut(vary, "=")
	if !ok || name == "" {
		return Range{}, fmt.Errorf("--vary %s: want VARIABLE=LOW..HIGH, e.g. setup.preStopSleep=0s..60s", vary)
	}
	unit, known := scenario.VarUnit(name)
	switch {
	case !known:
		return Range{}, fmt.Errorf("--vary %s: not a variable of a scenario; drill tune varies one of %s", name, strings.Join(scenario.OrderedVars(), ", "))
	case unit == scenario.UnitNone:
		return Range{}, fmt.Errorf("--vary %s: its values have no order to search; drill tune varies one of %s (a matrix compares the others)", name, strings.Join(scenario.OrderedVars(), ", "))
	}
	r := Range{Var: name, Unit: unit, Resolution: 1}
	var errs []error
	lo, hi, ok := strings.Cut(span, "..")
	if !ok {
		return Range{}, fmt.Errorf("--vary %s: want LOW..HIGH after the =, e.g. %s", vary, r.example())
	}
	var err error
	if r.Lo, err = r.parseBound(lo, hi); err != nil {
		errs = append(errs, fmt.Errorf("--vary %s: low end: %w", vary, err))
	}
	if r.Hi, err = r.parseBound(hi, lo); err != nil {
		errs = append(errs, fmt.Errorf("--vary %s: high end: %w", vary, err))
	}
	if len(errs) == 0 && r.Lo >= r.Hi {
		errs = append(errs, fmt.Errorf("--vary %s: the low end %s must be below the high end %s", vary, r.Format(r.Lo), r.Format(r.Hi)))
	}
	if resolution != "" {
		if r.Resolution, err = r.parseBound(resolution, ""); err != nil {
			errs = append(errs, fmt.Errorf("--resolution: %w", err))
		} else if r.Resolution <= 0 {
			errs = append(errs, fmt.Errorf("--resolution %s: must be at least %s", resolution, r.Format(1)))
		} else if len(errs) == 0 && r.Resolution > r.Hi-r.Lo {
			errs = append(errs, fmt.Errorf("--resolution %s: wider than the range %s..%s", resolution, r.Format(r.Lo), r.Format(r.Hi)))
		}
	}
	return r, errors.Join(errs...)
}

// parseBound reads one value in the range's unit; other is the range's
// other end, to name a mix of units.
func (r Range) parseBound(s, other string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty: write LOW..HIGH, e.g. %s", r.example())
	}
	n, intErr := strconv.ParseInt(s, 10, 64)
	d, durErr := time.ParseDuration(s)
	switch r.Unit {
	case scenario.UnitSeconds:
		switch {
		case durErr == nil:
			if d%time.Second != 0 {
				return 0, fmt.Errorf("%s: %s takes whole seconds, like %s", s, r.Var, d.Round(time.Second))
			}
			return int64(d / time.Second), nil
		case intErr == nil && isDuration(other):
			return 0, fmt.Errorf("%s has no unit but %s has one (units mixed): write %ds", s, other, n)
		case intErr == nil:
			return 0, fmt.Errorf("%s: %s is a duration: write %ds", s, r.Var, n)
		}
		return 0, fmt.Errorf("%s is not a duration: write whole seconds like 15s", s)
	default:
		switch {
		case intErr == nil:
			return n, nil
		case durErr == nil && other != "" && !isDuration(other):
			return 0, fmt.Errorf("%s is a duration but %s is not (units mixed): %s is a whole number", s, other, r.Var)
		case durErr == nil:
			return 0, fmt.Errorf("%s: %s is a whole number, not a duration: write %d", s, r.Var, int64(d/time.Second))
		}
		return 0, fmt.Errorf("%s is not a whole number", s)
	}
}

func isDuration(s string) bool {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return false
	}
	_, err := time.ParseDuration(s)
	return err == nil
}

func (r Range) example() string {
	if r.Unit == scenario.UnitSeconds {
		return "0s..60s"
	}
	return "0..60"
}

// Format writes v as the scenario writes the variable: 15s or 15.
func (r Range) Format(v int64) string {
	if r.Unit == scenario.UnitSeconds {
		return strconv.FormatInt(v, 10) + "s"
	}
	return strconv.FormatInt(v, 10)
}

// String is the range as given: setup.preStopSleep=0s..60s.
func (r Range) String() string {
	return r.Var + "=" + r.Format(r.Lo) + ".." + r.Format(r.Hi)
}

// Points is the number of steps of the grid: its values are Value(0)
// (Lo) to Value(Points()) (Hi).
func (r Range) Points() int64 {
	return (r.Hi - r.Lo + r.Resolution - 1) / r.Resolution
}

// Value is the grid's k-th value: Lo + k·Resolution, Hi at the last.
func (r Range) Value(k int64) int64 {
	return min(r.Lo+k*r.Resolution, r.Hi)
}

// MaxRuns is how many runs a search of the range takes at most with
// repeat runs per value: both ends, then one value per halving of the
// bracket.
func (r Range) MaxRuns(repeat int) int {
	halvings := 0
	for n := r.Points(); n > 1; n = (n + 1) / 2 {
		halvings++
	}
	return (2 + halvings) * repeat
}
