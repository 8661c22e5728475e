package scenario

import "slices"

// Unit is how the values of a matrix variable are written and ordered.
type Unit int

// Units of matrix variables.
const (
	// UnitNone is a variable whose values have no order (proxyMode,
	// readinessGates).
	UnitNone Unit = iota
	// UnitSeconds is a duration in whole seconds, written like 15s.
	UnitSeconds
	// UnitCount is a whole number, written like 30.
	UnitCount
)

// VarUnit returns the unit of the matrix variable name; ok is false when
// name is not a matrix variable.
func VarUnit(name string) (u Unit, ok bool) {
	vars := matrixVars()
	i := slices.IndexFunc(vars, func(v matrixVar) bool { return v.name == name })
	if i < 0 {
		return UnitNone, false
	}
	return vars[i].unit, true
}

// OrderedVars lists the matrix variables with ordered values (UnitSeconds
// or UnitCount), in the matrix's order.
func OrderedVars() []string {
	var out []string
	for _, v := range matrixVars() {
		if v.unit != UnitNone {
			out = append(out, v.name)
		}
	}
	return out
}
