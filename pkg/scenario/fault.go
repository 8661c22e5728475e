package scenario

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

var _ nodeDecoder = (*Fault)(nil)

// decodeNode reads a fault item: "at" plus exactly one action key whose
// body is kept as YAML.
func (f *Fault) decodeNode(d *decoder, n *yaml.Node, path string) {
	f.Line, f.Col = n.Line, n.Column
	var actions []string
	for _, a := range d.opts.Faults {
		actions = append(actions, a.Name)
	}
	isAction := func(key string) bool { return len(actions) == 0 || contains(actions, key) }
	known := append([]string{"at"}, actions...)
	listed := strings.Join(actions, ", ")
	if listed == "" {
		listed = "such as rollingUpdate"
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(nodePos(n), path, "expected a mapping with at and one action (%s), got %s", listed, describe(n))
		return
	}
	var found []string
	seenAt := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(nodePos(k), path, "field names must be plain strings, got %s", describe(k))
			continue
		}
		child := join(path, k.Value)
		switch {
		case k.Value == "at":
			if seenAt {
				d.errorf(nodePos(k), child, "field given twice: keep one")
				continue
			}
			seenAt = true
			d.keys[child] = nodePos(k)
			d.decode(n.Content[i+1], reflect.ValueOf(&f.At).Elem(), child, nil)
		case isAction(k.Value):
			found = append(found, k.Value)
			if len(found) > 1 {
				d.errorf(nodePos(k), child, "a fault has exactly one action but this one also has %s: write one fault item per action", found[0])
				continue
			}
			d.keys[child] = nodePos(k)
			body := d.resolve(n.Content[i+1], child)
			if body == nil {
				return
			}
			d.vals[child] = nodePos(body)
			if body.Kind != yaml.MappingNode && !isNull(body) {
				d.errorf(nodePos(body), child, "expected a mapping with the %s parameters, got %s", k.Value, describe(body))
				continue
			}
			f.Action = k.Value
			f.Path = child
			f.Spec = *body
			d.checkParams(f)
		default:
			d.errorf(nodePos(k), child, "%s", unknownField(k.Value, known))
		}
	}
	if !seenAt {
		d.errorf(nodePos(n), join(path, "at"), "missing required field \"at\": when to apply the fault, e.g. at: 30s")
	}
	if len(found) == 0 {
		d.errorf(nodePos(n), path, "missing action: add exactly one of %s", listed)
	}
}

// checkParams decodes a fault's parameters into its action's Params type
// and validates them (a Validate method), so that their problems are
// reported with the rest of the file.
func (d *decoder) checkParams(f *Fault) {
	for _, a := range d.opts.Faults {
		if a.Name == f.Action && a.Params != nil {
			params := reflect.New(a.Params).Interface()
			err := DecodeNode(d.file, f.Path, &f.Spec, params)
			if v, ok := params.(interface{ Validate() error }); ok && err == nil {
				if verr := v.Validate(); verr != nil {
					d.errorf(d.keys[f.Path], f.Path, "%v", verr)
				}
			}
			var errs Errors
			if errors.As(err, &errs) {
				d.errs = append(d.errs, errs...)
			}
		}
	}
}

// String describes the fault for logs: "rollingUpdate at 30s".
func (f Fault) String() string {
	return fmt.Sprintf("%s at %s", f.Action, f.At)
}

// DecodeSpec decodes the action's parameters into v, a pointer to a struct
// whose fields carry the same tags as the scenario types (yaml, default,
// required, enum, min, max, doc), with the same strictness: unknown fields,
// wrong types and missing required fields are all reported, as an Errors
// positioned in file. Absent fields take their defaults.
func (f Fault) DecodeSpec(file string, v any) error {
	return DecodeNode(file, f.Path, &f.Spec, v)
}

// DecodeNode decodes n into v, a pointer to a struct tagged like the
// scenario types, reporting every problem as an Errors positioned in file
// under path. Absent fields take their defaults; a null node counts as an
// empty mapping.
func DecodeNode(file, path string, n *yaml.Node, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode %s: need a non-nil pointer to a struct, got %T", path, v)
	}
	d := newDecoder(file)
	if n == nil || n.Kind == 0 {
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: 1, Column: 1}
	}
	d.decode(n, rv.Elem(), path, nil)
	if len(d.errs) > 0 {
		d.errs.sort()
		return d.errs
	}
	return nil
}
