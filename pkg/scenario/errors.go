package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a scenario file.
type Error struct {
	// File is the scenario's file name.
	File string
	// Line and Col are 1-based; Col is 0 when only the line is known.
	Line, Col int
	// Path is the field path, e.g. load.phases[1].rate; "" for the document.
	Path string
	// Msg says what is wrong and what to do.
	Msg string
	// Set is the command line override the problem is in (--set
	// PATH=VALUE); Line and Col are then 0.
	Set string
}

// Error formats the problem as file:line:col: path: message.
func (e Error) Error() string {
	var b strings.Builder
	if e.Set != "" {
		b.WriteString(e.Set + ": ")
		if e.Path != "" {
			b.WriteString(e.Path + ": ")
		}
		b.WriteString(e.Msg)
		return b.String()
	}
	file := e.File
	if file == "" {
		file = "scenario"
	}
	fmt.Fprintf(&b, "%s:%d:", file, e.Line)
	if e.Col > 0 {
		fmt.Fprintf(&b, "%d:", e.Col)
	}
	b.WriteByte(' ')
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a scenario, sorted by position.
type Errors []Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the problems by line and column, keeping the order in which
// they were found for equal positions.
func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}
