package scenario

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/check"
)

// fieldDoc documents one field of the format.
type fieldDoc struct {
	path     string // e.g. load.phases[].rate
	depth    int
	name     string
	typ      string
	def      string
	required bool
	doc      string
}

// schema lists every field of the format in file order, generated from the
// struct tags of Scenario and the types below it, and of the fault
// actions' parameters.
func schema(faults []FaultAction) []fieldDoc {
	var out []fieldDoc
	walk(reflect.TypeFor[Scenario](), "", 0, faults, &out)
	return out
}

func walk(t reflect.Type, prefix string, depth int, faults []FaultAction, out *[]fieldDoc) {
	for _, f := range fields(t) {
		ft := t.Field(f.index).Type
		def := f.defaultText
		if def == "" {
			def = f.def
		}
		fd := fieldDoc{
			path:     join(prefix, f.name),
			depth:    depth,
			name:     f.name,
			typ:      typeName(ft, &f),
			def:      def,
			required: f.required,
			doc:      f.doc,
		}
		*out = append(*out, fd)
		switch elem := structElem(ft); {
		case elem == reflect.TypeFor[Fault]():
			*out = append(*out, fieldDoc{path: fd.path + "[].at", depth: depth + 1, name: "at", typ: "duration", required: true,
				doc: tagOf(elem, "At", "doc")})
			for _, a := range faults {
				p := fd.path + "[]." + a.Name
				*out = append(*out, fieldDoc{path: p, depth: depth + 1, name: a.Name, typ: "object",
					doc: a.Doc + " Exactly one action per fault."})
				if a.Params != nil {
					walk(a.Params, p, depth+2, faults, out)
				}
			}
		case ft == reflect.TypeFor[Matrix]():
			for _, v := range matrixVars() {
				*out = append(*out, fieldDoc{path: fd.path + "." + v.name, depth: depth + 1, name: v.name, typ: "list of " + v.values, doc: v.doc})
			}
		case elem != nil:
			p := fd.path
			if ft.Kind() == reflect.Slice {
				p += "[]"
			}
			walk(elem, p, depth+1, faults, out)
		}
	}
}

func tagOf(t reflect.Type, field, tag string) string {
	sf, _ := t.FieldByName(field)
	return sf.Tag.Get(tag)
}

// structElem returns the struct type documented under a field of type t
// (itself, the pointed-to or listed struct), or nil for scalars.
func structElem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || isScalarType(t) {
		return nil
	}
	return t
}

// isScalarType reports whether t is written as one scalar.
func isScalarType(t reflect.Type) bool {
	return t == reflect.TypeFor[time.Duration]() || reflect.PointerTo(t).Implements(reflect.TypeFor[scalarDecoder]())
}

// typeName describes how a value of type t is written.
func typeName(t reflect.Type, f *fieldInfo) string {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return "duration"
	case reflect.TypeFor[Rate]():
		return "rate"
	case reflect.TypeFor[Percent]():
		return "percentage"
	case reflect.TypeFor[Check]():
		return "check expression"
	case reflect.TypeFor[Abort]():
		return "abort condition"
	case reflect.TypeFor[Matrix]():
		return "map of variable to list of values"
	}
	switch t.Kind() {
	case reflect.String:
		if f != nil && len(f.enum) > 0 {
			return strings.Join(f.enum, " | ")
		}
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch {
		case f != nil && f.min != nil && f.max != nil:
			return fmt.Sprintf("integer %d..%d", *f.min, *f.max)
		case f != nil && f.min != nil:
			return fmt.Sprintf("integer >= %d", *f.min)
		}
		return "integer"
	case reflect.Map:
		return "map of string to " + typeName(t.Elem(), nil)
	case reflect.Pointer:
		return typeName(t.Elem(), f)
	case reflect.Slice:
		if t.Elem() == reflect.TypeFor[Fault]() {
			return "list of faults"
		}
		if structElem(t.Elem()) != nil {
			return "list of objects"
		}
		return "list of " + typeName(t.Elem(), f)
	case reflect.Struct:
		return "object"
	}
	return t.String()
}

// Explain returns the scenario format: every field with its type, default
// and meaning, the fault actions with their parameters, then the syntax of
// durations, rates and checks.
func Explain(faults []FaultAction) string {
	var b strings.Builder
	WriteExplain(&b, faults)
	return b.String()
}

// WriteExplain writes Explain's text to w.
func WriteExplain(w io.Writer, faults []FaultAction) error {
	var b strings.Builder
	b.WriteString("SCENARIO FORMAT (apiVersion: " + APIVersion + ", kind: " + KindScenario + ")\n\n")
	b.WriteString("A scenario is one YAML document. Unknown fields are errors. Fields are optional\n")
	b.WriteString("unless marked required; absent fields take the default shown.\n\n")
	for _, f := range schema(faults) {
		ind := strings.Repeat("  ", f.depth)
		fmt.Fprintf(&b, "%s%s: %s", ind, f.name, f.typ)
		if f.required {
			b.WriteString(", required")
		}
		if f.def != "" {
			fmt.Fprintf(&b, ", default %s", f.def)
		}
		fmt.Fprintf(&b, "\n%s    %s\n", ind, f.doc)
	}
	b.WriteString(`
VALUES
  duration          a number with a unit: 300ms, 30s, 1m30s, 2h (units ns, us, ms, s, m, h)
  rate              FREQ/PER: a whole number of requests per unit or period:
                    300/s, 5/ms, 60/m, 1000/10s
  check expression  METRIC OP THRESHOLD, e.g. success_rate >= 99.9%, p99 < 300ms, status_5xx == 0
                    OP is one of < <= > >= == !=; the threshold's unit must fit the metric:
                    percentages or fractions for ratios, durations for latencies, whole
                    numbers for counts
  abort condition   a check expression on a per-second metric, then optionally for DURATION
                    (whole seconds, default 1s): error_rate > 20% for 10s. Evaluated on
                    each completed second; the run stops once it held that many seconds
                    in a row.
`)
	b.WriteString("\nBOUNDS (beyond them a value is refused as a likely typo; --allow-huge lifts them)\n")
	for _, bd := range bounds() {
		fmt.Fprintf(&b, "  %-48s at most %s\n", bd.fields, bd.limit)
	}
	b.WriteString(`
METRICS (kind; * = usable in abortWhen)
`)
	for _, m := range check.Catalog() {
		live := " "
		if m.Live {
			live = "*"
		}
		fmt.Fprintf(&b, "  %-17s %-9s %s %s\n", m.Name, m.Kind, live, m.Help)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
