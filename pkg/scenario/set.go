package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Set is one --set PATH=VALUE override of a scenario field, applied to the
// parsed YAML before decoding so that the value is checked exactly as if
// the file held it. VALUE is YAML: 500/s, 2m, [a, b], {x: 1}.
type Set struct {
	Path, Value string
	// Flag is how the override was written when not as --set PATH=VALUE
	// (drill attack --rate 100/s, drill run --repeat 3); problems name it.
	Flag string
}

// ParseSet reads PATH=VALUE.
func ParseSet(s string) (Set, error) {
	path, value, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return Set{}, fmt.Errorf("--set %s: want PATH=VALUE, e.g. load.rate=500/s", s)
	}
	return Set{Path: path, Value: value}, nil
}

// String is the override as written on the command line.
func (s Set) String() string {
	if s.Flag != "" {
		return s.Flag
	}
	return "--set " + s.Path + "=" + s.Value
}

// setLine marks the nodes of the i-th override: their lines are negative,
// so that problems found in them name the flag rather than the file.
func setLine(i int) int { return -(i + 1) }

// applySets writes every override into root, recording a problem for an
// override that cannot be applied.
func (d *decoder) applySets(root *yaml.Node) {
	for i, s := range d.opts.Set {
		if err := applySet(root, s, setLine(i)); err != nil {
			d.errs = append(d.errs, Error{Set: s.String(), Msg: err.Error()})
		}
	}
}

func applySet(root *yaml.Node, s Set, line int) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s.Value), &doc); err != nil {
		return fmt.Errorf("the value is not YAML: %v", err)
	}
	value := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	if len(doc.Content) > 0 {
		value = doc.Content[0]
	}
	mark(value, line)
	steps, err := splitPath(s.Path)
	if err != nil {
		return err
	}
	cur := root
	for i, st := range steps {
		last := i == len(steps)-1
		for cur.Kind == yaml.AliasNode {
			cur = cur.Alias
		}
		at := strings.Join(pathNames(steps[:i]), "")
		if at == "" {
			at = "the document"
		}
		if st.key != "" {
			if cur.Kind != yaml.MappingNode {
				return fmt.Errorf("%s is not a mapping: %s cannot be set in it", at, st.key)
			}
			var next *yaml.Node
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if cur.Content[j].Value == st.key {
					mark(cur.Content[j], line)
					next = cur.Content[j+1]
					if last {
						cur.Content[j+1] = value
					}
					break
				}
			}
			if next == nil {
				next = value
				if !last {
					next = newContainer(steps[i+1], line)
				}
				key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key, Line: line}
				cur.Content = append(cur.Content, key, next)
			}
			cur = next
			continue
		}
		if cur.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s is not a list: [%d] cannot be set in it", at, st.index)
		}
		switch {
		case st.index < len(cur.Content):
			if last {
				cur.Content[st.index] = value
			}
		case st.index == len(cur.Content):
			next := value
			if !last {
				next = newContainer(steps[i+1], line)
			}
			cur.Content = append(cur.Content, next)
		default:
			return fmt.Errorf("%s has %d items: [%d] would leave a gap (use [%d] to append)", at, len(cur.Content), st.index, len(cur.Content))
		}
		cur = cur.Content[st.index]
	}
	return nil
}

// step is one part of a --set path: a key, or an index into a list.
type step struct {
	key   string
	index int
}

func splitPath(p string) ([]step, error) {
	bad := fmt.Errorf("path %q: want dotted field names with [N] list indexes, and [KEY] for a key with dots, e.g. load.phases[0].rate or matrix[setup.preStopSleep]", p)
	var out []step
	for i := 0; i < len(p); {
		switch {
		case p[i] == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 || len(out) == 0 {
				return nil, bad
			}
			inner := p[i+1 : i+end]
			n, err := strconv.Atoi(inner)
			switch {
			case err == nil && n >= 0:
				out = append(out, step{index: n})
			case err == nil || inner == "" || inner[0] >= '0' && inner[0] <= '9':
				return nil, fmt.Errorf("path %q: an index is [N] with N ≥ 0", p)
			default:
				out = append(out, step{key: inner})
			}
			i += end + 1
		case p[i] == '.':
			if len(out) == 0 || i+1 == len(p) || p[i+1] == '.' || p[i+1] == '[' {
				return nil, bad
			}
			i++
		default:
			if i > 0 && p[i-1] != '.' {
				return nil, bad
			}
			end := strings.IndexAny(p[i:], ".[")
			if end < 0 {
				end = len(p) - i
			}
			out = append(out, step{key: p[i : i+end]})
			i += end
		}
	}
	if len(out) == 0 {
		return nil, bad
	}
	return out, nil
}

func pathNames(steps []step) []string {
	var out []string
	for i, s := range steps {
		switch {
		case strings.Contains(s.key, "."):
			out = append(out, "["+s.key+"]")
		case s.key != "" && i > 0:
			out = append(out, "."+s.key)
		case s.key != "":
			out = append(out, s.key)
		default:
			out = append(out, fmt.Sprintf("[%d]", s.index))
		}
	}
	return out
}

// newContainer is the empty mapping or list that the step next goes into.
func newContainer(next step, line int) *yaml.Node {
	if next.key != "" {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
	}
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line}
}

// mark gives n and everything under it the line of an override.
func mark(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		mark(c, line)
	}
}
