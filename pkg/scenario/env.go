package scenario

import (
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv replaces ${VAR} and ${VAR:-default} in every scalar value of
// the file (keys stay as written) with the environment's value; $${ is a
// literal ${. A plain scalar takes the type of what it became, so
// `replicas: ${N}` is a number; a string field takes whatever was
// substituted into it.
func (d *decoder) expandEnv(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = path + "[" + strconv.Itoa(i) + "]"
			}
			d.expandEnv(c, p)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.expandEnv(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		v, problems := expandVars(n.Value, d.lookupEnv)
		for _, msg := range problems {
			d.errorf(nodePos(n), path, "%s", msg)
		}
		if len(problems) > 0 {
			d.substituted[n] = false
			return
		}
		if v == n.Value {
			return
		}
		n.Value = v
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = "" // resolved again from the new value
		}
		d.substituted[n] = true
	}
}

// lookupEnv reads the environment through the options, or the process's.
func (d *decoder) lookupEnv(name string) (string, bool) {
	if d.opts.LookupEnv != nil {
		return d.opts.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

// expandVars expands s as expandEnv describes, returning what is wrong
// with each reference it cannot expand. An empty variable counts as unset
// for a default, as in the shell's ${VAR:-default}.
func expandVars(s string, lookup func(string) (string, bool)) (string, []string) {
	var b strings.Builder
	var problems []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), problems
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$${"):
			b.WriteString("${")
			s = s[3:]
			continue
		case !strings.HasPrefix(s, "${"):
			b.WriteByte('$')
			s = s[1:]
			continue
		}
		end := strings.IndexByte(s, '}')
		if end < 0 {
			problems = append(problems, "${ without a closing }: write ${NAME} or ${NAME:-default}, or $${ for a literal ${")
			return b.String(), problems
		}
		name, def, hasDef := strings.Cut(s[2:end], ":-")
		s = s[end+1:]
		if !envNameRE.MatchString(name) {
			problems = append(problems, "${"+name+"}: not a variable name (letters, digits and _, not starting with a digit)")
			continue
		}
		v, ok := lookup(name)
		switch {
		case v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case !ok:
			problems = append(problems, "${"+name+"} is not set: export "+name+", or give a default with ${"+name+":-value}")
		}
	}
}
