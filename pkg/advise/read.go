package advise

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// manifestExts are the file endings read from a directory.
var manifestExts = []string{".yaml", ".yml", ".json"}

// Read reads the manifests in paths: files, or directories whose .yaml,
// .yml and .json files are read (not their subdirectories, as kubectl -f).
// Every problem is reported at once, each as file:line: message.
func Read(paths []string) (*Manifests, error) {
	m := &Manifests{}
	var errs []error
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			errs = append(errs, m.readFile(f)...)
		}
	}
	return m, errors.Join(errs...)
}

// expand lists the manifest files of path.
func expand(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && slices.Contains(manifestExts, strings.ToLower(filepath.Ext(e.Name()))) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .yaml, .yml or .json files in the directory", path)
	}
	return files, nil
}

// yamlLine finds the line in the YAML parser's messages.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// ReadData reads the manifests of data, a YAML or JSON stream, naming it
// file in findings and problems.
func ReadData(file string, data []byte) (*Manifests, error) {
	m := &Manifests{}
	return m, errors.Join(m.readData(file, data)...)
}

// readFile reads every document of file into m.
func (m *Manifests) readFile(file string) []error {
	data, err := os.ReadFile(file)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", file, errors.Unwrap(err))}
	}
	return m.readData(file, data)
}

// readData reads every document of data into m.
func (m *Manifests) readData(file string, data []byte) []error {
	var errs []error
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return errs
		}
		if err != nil {
			// The parser cannot go on past a syntax error.
			if g := yamlLine.FindStringSubmatch(err.Error()); g != nil {
				return append(errs, fmt.Errorf("%s:%s: %s", file, g[1], g[2]))
			}
			return append(errs, fmt.Errorf("%s: %w", file, err))
		}
		if len(doc.Content) == 0 {
			continue // a document of comments only
		}
		errs = append(errs, m.add(file, doc.Content[0])...)
	}
}

// add decodes the object at n (or the items of a List) into m.
func (m *Manifests) add(file string, n *yaml.Node) []error {
	at := func(format string, a ...any) []error {
		return []error{fmt.Errorf("%s:%d: %s", file, n.Line, fmt.Sprintf(format, a...))}
	}
	if n.Kind != yaml.MappingNode {
		return at("a document must be a Kubernetes object (a mapping with apiVersion, kind and metadata)")
	}
	o := Object{File: file, Line: n.Line, node: n}
	o.Kind = scalar(n, "kind")
	o.Name = scalar(n, "metadata", "name")
	o.Namespace = scalar(n, "metadata", "namespace")
	if scalar(n, "apiVersion") == "" || o.Kind == "" {
		return at("apiVersion and kind are required")
	}
	if o.Kind == "List" {
		items, _ := child(n, "items")
		if items == nil || items.Kind != yaml.SequenceNode {
			return at("a List needs items")
		}
		var errs []error
		for _, it := range items.Content {
			errs = append(errs, m.add(file, it)...)
		}
		return errs
	}
	if o.Name == "" {
		return at("%s: metadata.name is required", o.Kind)
	}
	if m.seen == nil {
		m.seen = map[string]Object{}
	}
	if prev, dup := m.seen[o.String()]; dup {
		return at("%s is also at %s:%d: pass the manifests of one application, where each object appears once", o, prev.File, prev.Line)
	}
	m.seen[o.String()] = o
	var err error
	switch o.Kind {
	case "Deployment":
		m.Deployments, err = appendItem(m.Deployments, o)
	case "Service":
		m.Services, err = appendItem(m.Services, o)
	case "Ingress":
		m.Ingresses, err = appendItem(m.Ingresses, o)
	case "PodDisruptionBudget":
		m.PDBs, err = appendItem(m.PDBs, o)
	case "Namespace":
		m.Namespaces, err = appendItem(m.Namespaces, o)
	case "IngressClass":
		m.IngressClasses, err = appendItem(m.IngressClasses, o)
	}
	if err != nil {
		return at("%s: %v", o, err)
	}
	return nil
}

// appendItem decodes o's node as a T and appends it to items.
func appendItem[T any](items []Item[T], o Object) ([]Item[T], error) {
	var raw any
	if err := o.node.Decode(&raw); err != nil {
		return items, err
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return items, err
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return items, err
	}
	return append(items, Item[T]{Object: o, V: v}), nil
}

// scalar is the value of the scalar at path below n, or "".
func scalar(n *yaml.Node, path ...string) string {
	for _, p := range path {
		if n, _ = child(n, p); n == nil {
			return ""
		}
	}
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// duration reads a duration given as whole seconds ("60") or as a Go
// duration ("1m", "90s").
func duration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q: use seconds (60) or a duration (60s, 1m)", v)
}
