package scenario

import (
	"slices"
	"testing"
)

// TestVarUnits holds every matrix variable's unit to the values it takes:
// a seconds variable takes 10s and not 10, a count 10 and not 10s, an
// unordered one neither.
func TestVarUnits(t *testing.T) {
	for _, v := range matrixVars() {
		u, ok := VarUnit(v.name)
		if !ok {
			t.Fatalf("VarUnit(%s) not found", v.name)
		}
		_, secErr := v.parse("10s")
		_, cntErr := v.parse("1030")
		if v.name == VarNodes {
			_, cntErr = v.parse("3")
		}
		switch u {
		case UnitSeconds:
			if secErr != nil {
				t.Errorf("%s is in seconds but refuses 10s: %v", v.name, secErr)
			}
			if _, err := v.parse("10"); err == nil {
				t.Errorf("%s is in seconds but takes 10", v.name)
			}
		case UnitCount:
			if cntErr != nil || secErr == nil {
				t.Errorf("%s counts but takes 10s (%v) or refuses a number (%v)", v.name, secErr, cntErr)
			}
		default:
			if secErr == nil || cntErr == nil {
				t.Errorf("%s has no order but takes 10s (%v) or a number (%v)", v.name, secErr, cntErr)
			}
		}
		if slices.Contains(OrderedVars(), v.name) != (u != UnitNone) {
			t.Errorf("OrderedVars and the unit of %s disagree", v.name)
		}
	}
	if _, ok := VarUnit("setup.prestop"); ok {
		t.Error("VarUnit found a variable that does not exist")
	}
	for _, name := range []string{VarPreStopSleep, VarDeregistrationDelay, VarGracePeriod} {
		if !slices.Contains(OrderedVars(), name) {
			t.Errorf("%s is not ordered", name)
		}
	}
}
