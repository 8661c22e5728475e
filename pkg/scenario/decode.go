package scenario

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/drillkit/drill/pkg/check"
)

// maxNodes bounds how many YAML nodes one scenario may expand to, counting
// every alias expansion, so that alias bombs cannot stall the parser.
const maxNodes = 100000

// pos is a position in the scenario file.
type pos struct{ line, col int }

func nodePos(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// decoder turns a yaml.Node tree into Go values driven by struct tags,
// collecting every problem instead of stopping at the first, and recording
// where each field was written for the validation pass.
type decoder struct {
	file  string
	opts  Options
	errs  Errors
	keys  map[string]pos  // position of each field's key, by path
	vals  map[string]pos  // position of each value, by path
	bad   map[string]bool // paths with a reported problem
	nodes int
	bomb  bool
	// substituted are the scalars expandEnv changed (true) or could not
	// expand (false: not decoded, their problem is already reported).
	substituted map[*yaml.Node]bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, keys: map[string]pos{}, vals: map[string]pos{}, bad: map[string]bool{}, substituted: map[*yaml.Node]bool{}}
}

// errorf records a problem at p.
func (d *decoder) errorf(p pos, path, format string, args ...any) {
	d.bad[path] = true
	msg := fmt.Sprintf(format, args...)
	if i := -p.line - 1; i >= 0 && i < len(d.opts.Set) {
		d.errs = append(d.errs, Error{File: d.file, Set: d.opts.Set[i].String(), Path: path, Msg: msg})
		return
	}
	if p.line < 1 {
		p.line = 1
	}
	d.errs = append(d.errs, Error{File: d.file, Line: p.line, Col: p.col, Path: path, Msg: msg})
}

// has reports whether the field at path was written in the file.
func (d *decoder) has(path string) bool {
	_, ok := d.keys[path]
	return ok
}

// valid reports whether the field at path was written and decoded without
// a problem, so that validation does not pile a second error on it.
func (d *decoder) valid(path string) bool {
	return d.has(path) && !d.bad[path]
}

// at returns where the field at path was written: its key, else its value,
// else the nearest written parent, else the start of the file.
func (d *decoder) at(path string) pos {
	for {
		if p, ok := d.keys[path]; ok {
			return p
		}
		if p, ok := d.vals[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return pos{1, 1}
		}
		path = path[:i]
	}
}

// valueAt returns where the value at path was written, falling back to at.
func (d *decoder) valueAt(path string) pos {
	if p, ok := d.vals[path]; ok {
		return p
	}
	return d.at(path)
}

// scalarDecoder is implemented by types written as one YAML scalar with
// their own syntax (rates, check expressions). An error of type *colError
// points inside the scalar.
type scalarDecoder interface {
	decodeScalar(value string) error
}

// nodeDecoder is implemented by types that decode themselves from a node
// (fault items, whose keys are not fixed fields).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// positioner is implemented by types that remember where they were written.
type positioner interface {
	setPos(line, col int)
}

// colError is an error at a 1-based column inside a scalar's value.
type colError struct {
	col int
	msg string
}

func (e *colError) Error() string { return e.msg }

// innerPos maps a 1-based column inside n's value to a file position. It is
// exact for single-line plain and quoted scalars without escapes before the
// column, and falls back to the scalar's start otherwise.
func innerPos(n *yaml.Node, col int) pos {
	p := nodePos(n)
	if col < 1 || strings.Contains(n.Value, "\n") {
		return p
	}
	switch n.Style {
	case 0:
		p.col += col - 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		p.col += col
	}
	return p
}

// fieldInfo is what struct tags say about one field.
type fieldInfo struct {
	index       int
	name        string
	doc         string
	def         string
	defaultText string
	required    bool
	enum        []string
	min, max    *int
}

// fields returns the yaml-named fields of struct type t.
func fields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name := sf.Tag.Get("yaml")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		fi := fieldInfo{
			index:       i,
			name:        name,
			doc:         sf.Tag.Get("doc"),
			def:         sf.Tag.Get("default"),
			defaultText: sf.Tag.Get("defaultText"),
			required:    sf.Tag.Get("required") == "true",
		}
		if e := sf.Tag.Get("enum"); e != "" {
			fi.enum = strings.Split(e, ",")
		}
		if s := sf.Tag.Get("min"); s != "" {
			n, _ := strconv.Atoi(s)
			fi.min = &n
		}
		if s := sf.Tag.Get("max"); s != "" {
			n, _ := strconv.Atoi(s)
			fi.max = &n
		}
		out = append(out, fi)
	}
	return out
}

func fieldNames(fs []fieldInfo) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// describe names a node's kind for messages: "a mapping", "a list", ...
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "a boolean (" + n.Value + ")"
	case "!!int", "!!float":
		return "a number (" + n.Value + ")"
	case "!!str":
		return fmt.Sprintf("a string (%q)", n.Value)
	}
	return "a " + n.ShortTag() + " value"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// resolve follows aliases and charges the node budget; nil means stop.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	orig := n
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			d.errorf(nodePos(n), path, "alias chain too deep")
			return nil
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	d.nodes++
	if d.nodes > maxNodes {
		if !d.bomb {
			d.bomb = true
			d.errorf(nodePos(orig), path, "the document expands to more than %d nodes (through aliases?): simplify it", maxNodes)
		}
		return nil
	}
	return n
}

// decode stores n into v, which must be settable. fi describes the field
// v belongs to (nil for list items and map values that have no tags).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, fi *fieldInfo) {
	n = d.resolve(n, path)
	if n == nil {
		return
	}
	if ok, seen := d.substituted[n]; seen && !ok {
		return
	}
	if _, ok := d.vals[path]; !ok {
		d.vals[path] = nodePos(n)
	}
	if v.CanAddr() {
		switch dec := v.Addr().Interface().(type) {
		case nodeDecoder:
			dec.decodeNode(d, n, path)
			return
		case scalarDecoder:
			if n.Kind != yaml.ScalarNode || isNull(n) {
				d.errorf(nodePos(n), path, "expected a string, got %s", describe(n))
				return
			}
			if err := dec.decodeScalar(n.Value); err != nil {
				p := nodePos(n)
				if ce, ok := err.(*colError); ok {
					p = innerPos(n, ce.col)
				}
				d.errorf(p, path, "%s", err.Error())
				return
			}
			if ps, ok := dec.(positioner); ok {
				ps.setPos(n.Line, n.Column)
			}
			return
		}
	}
	switch t := v.Type(); {
	case t == reflect.TypeFor[time.Duration]():
		d.duration(n, v, path)
	case t == reflect.TypeFor[yaml.Node]():
		v.Set(reflect.ValueOf(*n))
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path, fi)
	case t.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case t.Kind() == reflect.Slice:
		d.list(n, v, path, fi)
	case t.Kind() == reflect.Map:
		d.mapping(n, v, path)
	case t.Kind() == reflect.String:
		d.str(n, v, path, fi)
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.errorf(nodePos(n), path, "expected true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		d.integer(n, v, path, fi)
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		d.float(n, v, path)
	default:
		d.errorf(nodePos(n), path, "internal error: cannot decode into %s", t)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	fs := fields(v.Type())
	var content []*yaml.Node
	switch {
	case isNull(n):
	case n.Kind == yaml.MappingNode:
		content = n.Content
	default:
		d.errorf(nodePos(n), path, "expected a mapping (field: value) with fields %s; got %s", strings.Join(fieldNames(fs), ", "), describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(content); i += 2 {
		k := d.resolve(content[i], path)
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(nodePos(k), path, "field names must be plain strings, got %s", describe(k))
			continue
		}
		name := k.Value
		child := join(path, name)
		var f *fieldInfo
		for j := range fs {
			if fs[j].name == name {
				f = &fs[j]
				break
			}
		}
		if f == nil {
			d.errorf(nodePos(k), child, "%s", unknownField(name, fieldNames(fs)))
			continue
		}
		if seen[name] {
			d.errorf(nodePos(k), child, "field given twice (first at line %d): keep one", d.keys[child].line)
			continue
		}
		seen[name] = true
		d.keys[child] = nodePos(k)
		d.decode(content[i+1], v.Field(f.index), child, f)
	}
	for j := range fs {
		f := &fs[j]
		if seen[f.name] {
			continue
		}
		if f.required {
			d.errorf(nodePos(n), join(path, f.name), "missing required field %q", f.name)
			continue
		}
		d.fillDefault(v.Field(f.index), join(path, f.name), f)
	}
}

// fillDefault sets an absent field to its default tag's value; absent
// nested structs get their own fields' defaults.
func (d *decoder) fillDefault(v reflect.Value, path string, f *fieldInfo) {
	if f.def != "" {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(f.def), &n); err != nil || len(n.Content) == 0 {
			d.errorf(pos{1, 1}, path, "internal error: bad default %q", f.def)
			return
		}
		sub := newDecoder(d.file)
		sub.decode(n.Content[0], v, path, f)
		if len(sub.errs) > 0 {
			d.errorf(pos{1, 1}, path, "internal error: bad default %q: %v", f.def, sub.errs)
		}
		return
	}
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[yaml.Node]() {
		fillDefaults(v)
	}
}

// fillDefaults sets every field of struct v to its default.
func fillDefaults(v reflect.Value) {
	sub := newDecoder("")
	fs := fields(v.Type())
	for j := range fs {
		sub.fillDefault(v.Field(fs[j].index), fs[j].name, &fs[j])
	}
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string, fi *fieldInfo) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(nodePos(n), path, "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), fi)
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(nodePos(n), path, "expected a mapping (name: value), got %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(nodePos(k), path, "keys must be strings, got %s", describe(k))
			continue
		}
		child := join(path, k.Value)
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.errorf(nodePos(k), child, "key given twice: keep one")
			continue
		}
		d.keys[child] = nodePos(k)
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i+1], ev, child, nil)
		m.SetMapIndex(reflect.ValueOf(k.Value), ev)
	}
	v.Set(m)
}

func (d *decoder) str(n *yaml.Node, v reflect.Value, path string, fi *fieldInfo) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(nodePos(n), path, "expected a string, got %s", describe(n))
		return
	}
	if tag := n.ShortTag(); tag != "!!str" && !d.substituted[n] {
		d.errorf(nodePos(n), path, "expected a string, got %s: quote it (\"%s\") if it is meant as text", describe(n), n.Value)
		return
	}
	if fi != nil && len(fi.enum) > 0 && !contains(fi.enum, n.Value) {
		msg := fmt.Sprintf("%q is not one of %s", n.Value, strings.Join(fi.enum, ", "))
		if c := check.Closest(n.Value, fi.enum); c != "" {
			msg += fmt.Sprintf("; did you mean %q?", c)
		}
		d.errorf(nodePos(n), path, "%s", msg)
		return
	}
	v.SetString(n.Value)
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string, fi *fieldInfo) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.errorf(nodePos(n), path, "expected a whole number, got %s", describe(n))
		return
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil || v.CanInt() && v.OverflowInt(i) || v.CanUint() && (i < 0 || v.OverflowUint(uint64(i))) {
		if v.CanUint() && err == nil && i < 0 {
			d.errorf(nodePos(n), path, "%s is negative", n.Value)
			return
		}
		d.errorf(nodePos(n), path, "%s is out of range", n.Value)
		return
	}
	if fi != nil && fi.min != nil && i < int64(*fi.min) {
		d.errorf(nodePos(n), path, "%d is below the minimum %d", i, *fi.min)
		return
	}
	if fi != nil && fi.max != nil && i > int64(*fi.max) {
		d.errorf(nodePos(n), path, "%d is above the maximum %d", i, *fi.max)
		return
	}
	if v.CanUint() {
		v.SetUint(uint64(i))
		return
	}
	v.SetInt(i)
}

func (d *decoder) float(n *yaml.Node, v reflect.Value, path string) {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" {
		d.errorf(nodePos(n), path, "expected a number, got %s", describe(n))
		return
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.errorf(nodePos(n), path, "%s is not a finite number", n.Value)
		return
	}
	v.SetFloat(f)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(nodePos(n), path, "expected a duration like 30s or 1m30s, got %s", describe(n))
		return
	}
	tag := n.ShortTag()
	if (tag == "!!int" || tag == "!!float") && n.Value != "0" {
		d.errorf(nodePos(n), path, "duration %s has no unit: write e.g. %ss or %sms", n.Value, n.Value, n.Value)
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.errorf(nodePos(n), path, "%q is not a duration: write a number with a unit (ms, s, m, h), e.g. 30s or 1m30s", n.Value)
		return
	}
	if dur < 0 {
		d.errorf(nodePos(n), path, "duration %s is negative", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

// join appends a field name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownField builds the message for an unknown field name.
func unknownField(name string, known []string) string {
	msg := fmt.Sprintf("unknown field %q", name)
	if c := check.Closest(name, known); c != "" {
		msg += fmt.Sprintf("; did you mean %q?", c)
	}
	return msg + fmt.Sprintf(" (known fields: %s)", strings.Join(known, ", "))
}
