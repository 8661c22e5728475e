package scenario

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/check"
)

// TestSchemaDocumented walks every field of the Go types: each must have a
// doc tag, appear in Explain, and be described in docs/scenario.md by its
// full path, so the three cannot drift apart.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	explain := Explain(nil)
	fs := schema(nil)
	if len(fs) < 50 {
		t.Fatalf("schema has only %d fields", len(fs))
	}
	for _, f := range fs {
		if f.doc == "" {
			t.Errorf("%s has no doc tag", f.path)
		}
		line := strings.Repeat("  ", f.depth) + f.name + ": " + f.typ
		if !strings.Contains(explain, "\n"+line) {
			t.Errorf("Explain lacks %q", line)
		}
		if !strings.Contains(string(doc), "`"+f.path+"`") {
			t.Errorf("docs/scenario.md does not describe `%s`", f.path)
		}
		if f.def != "" && !strings.Contains(string(doc), f.def) {
			t.Errorf("docs/scenario.md does not mention %s's default %q", f.path, f.def)
		}
	}
	// Every yaml field of every struct type reachable from Scenario is in
	// the schema (the walk above could skip a type by mistake).
	paths := map[string]bool{}
	for _, f := range fs {
		paths[f.name] = true
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Scenario](), reflect.TypeFor[Metadata](), reflect.TypeFor[Target](),
		reflect.TypeFor[Lab](), reflect.TypeFor[Kube](), reflect.TypeFor[LoadSpec](), reflect.TypeFor[Phase](),
		reflect.TypeFor[Request](), reflect.TypeFor[Sample](), reflect.TypeFor[Timeouts](), reflect.TypeFor[Fault]()} {
		for _, fi := range fields(typ) {
			if !paths[fi.name] {
				t.Errorf("%s.%s is missing from the schema", typ.Name(), fi.name)
			}
		}
	}
}

// TestChecksDocumented asserts docs/checks.md describes every metric.
func TestChecksDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range check.Catalog() {
		if !strings.Contains(string(doc), "`"+m.Name+"`") {
			t.Errorf("docs/checks.md does not describe `%s`", m.Name)
		}
	}
}

// TestDefaultsDecode asserts every default tag decodes into its field.
func TestDefaultsDecode(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[Lab](), reflect.TypeFor[Kube](), reflect.TypeFor[LoadSpec](),
		reflect.TypeFor[Request](), reflect.TypeFor[Sample]()} {
		t.Run(typ.Name(), func(t *testing.T) {
			d := newDecoder("")
			v := reflect.New(typ).Elem()
			fs := fields(typ)
			for i := range fs {
				d.fillDefault(v.Field(fs[i].index), fs[i].name, &fs[i])
			}
			if len(d.errs) > 0 {
				t.Fatal(d.errs)
			}
		})
	}
}

func TestResolveURL(t *testing.T) {
	tests := []struct {
		req  Request
		base string
		want string
	}{
		{Request{}, "http://127.0.0.1:18080", "http://127.0.0.1:18080"},
		{Request{Path: "/"}, "http://127.0.0.1:18080", "http://127.0.0.1:18080/"},
		{Request{Path: "/cart?id=1"}, "http://127.0.0.1:18080/api/", "http://127.0.0.1:18080/api/cart?id=1"},
		{Request{Path: "/a b"}, "http://127.0.0.1", "http://127.0.0.1/a%20b"},
		{Request{URL: "http://127.0.0.2/x", Path: "/y"}, "http://127.0.0.1", "http://127.0.0.2/x"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := tt.req.ResolveURL(tt.base)
			if err != nil || got != tt.want {
				t.Errorf("ResolveURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestBoundsDocumented: the bounds table of docs/scenario.md says what the
// code enforces.
func TestBoundsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Bounds\n")
	if !ok {
		t.Fatal("docs/scenario.md has no Bounds section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, b := range bounds() {
		first, _, _ := strings.Cut(b.fields, ",")
		row := ""
		for _, line := range strings.Split(section, "\n") {
			if strings.HasPrefix(line, "| `"+first+"`") {
				row = line
			}
		}
		if !strings.HasSuffix(row, "| "+b.limit+" |") {
			t.Errorf("docs/scenario.md Bounds: row for %s is %q, want it to end with %q", first, row, "| "+b.limit+" |")
		}
	}
}
