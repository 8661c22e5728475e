package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest scenario file Load reads.
const MaxFileSize = 4 << 20

// Parse reads a scenario from data; file names it in error messages and
// anchors relative setup paths. On failure the error is an Errors listing
// every problem found, sorted by position.
func Parse(file string, data []byte) (*Scenario, error) {
	return ParseWith(file, data, Options{})
}

// ParseWith is Parse with options.
func ParseWith(file string, data []byte, opts Options) (*Scenario, error) {
	return parse(file, data, opts, false)
}

// parse is Parse, also checking that setup manifests exist when files is
// true.
func parse(file string, data []byte, opts Options, files bool) (s *Scenario, err error) {
	defer func() {
		// yaml.v3 has panicked on malformed input in the past; a scenario
		// file must never crash drill.
		if r := recover(); r != nil {
			s, err = nil, Errors{{File: file, Line: 1, Msg: fmt.Sprintf("cannot read the YAML: %v", r)}}
		}
	}()
	d := newDecoder(file)
	d.opts = opts
	root := d.document(data)
	if root == nil {
		d.errs.sort()
		return nil, d.errs
	}
	d.expandEnv(root, "")
	d.applySets(root)
	s = &Scenario{File: file}
	d.decode(root, reflect.ValueOf(s).Elem(), "", nil)
	if !d.bomb {
		validate(d, s, files)
	}
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	return s, nil
}

// LoadData is LoadWith for a scenario held in memory: file names it in
// messages and anchors its relative paths, which are checked and read.
func LoadData(file string, data []byte, opts Options) (*Scenario, error) {
	return parse(file, data, opts, true)
}

// Load reads and parses the scenario file at path and checks that the
// setup manifests it names exist.
func Load(path string) (*Scenario, error) {
	return LoadWith(path, Options{})
}

// LoadWith is Load with options.
func LoadWith(path string, opts Options) (*Scenario, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("scenario file %s does not exist: check the path (see drill explain for the format and scenarios/ for examples)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("scenario file %s is larger than %d bytes: is it the right file?", path, MaxFileSize)
	}
	return parse(path, data, opts, true)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// document parses data as exactly one YAML document and returns its root
// node, or nil after recording why it cannot.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			d.errorf(pos{1, 1}, "", "the file is empty: a scenario needs at least apiVersion, kind, metadata and load (see drill explain)")
		} else {
			d.syntaxError(data, err)
		}
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.errorf(pos{1, 1}, "", "the document is empty: a scenario needs at least apiVersion, kind, metadata and load (see drill explain)")
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		d.syntaxError(data, err)
		return nil
	default:
		d.errorf(pos{extra.Line, extra.Column}, "", "a second YAML document: a scenario file holds exactly one scenario; remove the '---' and what follows or split the file")
	}
	return doc.Content[0]
}

// syntaxError records a YAML syntax error, taking the line from the
// message when it has one. A tab in the indentation, which YAML forbids and
// the YAML parser reports as an unexpected character, is named as such.
func (d *decoder) syntaxError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ":"); ok {
			if n, err := strconv.Atoi(num); err == nil && n >= 1 {
				line, msg = n, strings.TrimSpace(after)
			}
		}
	}
	if p, ok := tabIndent(data, line, strings.Contains(msg, "tab")); ok {
		d.errs = append(d.errs, Error{File: d.file, Line: p.line, Col: p.col, Msg: "invalid YAML: a tab in the indentation: YAML indents with spaces only; replace the tab with spaces"})
		return
	}
	d.errs = append(d.errs, Error{File: d.file, Line: line, Msg: "invalid YAML: " + msg})
}

// tabIndent finds a tab in the leading white space of line near (the YAML
// parser reports it on that line or the one before), or of any line when
// anywhere is set, and returns its position.
func tabIndent(data []byte, near int, anywhere bool) (pos, bool) {
	for i, l := range strings.Split(string(data), "\n") {
		n := i + 1
		if !anywhere && (n < near || n > near+1) {
			continue
		}
		for c := 0; c < len(l) && (l[c] == ' ' || l[c] == '\t'); c++ {
			if l[c] == '\t' {
				return pos{n, c + 1}, true
			}
		}
	}
	return pos{}, false
}
