package report_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

// TestSchemaIsPinned holds the JSON of a report to its schema version: every
// field path with its JSON type, taken from the Go types, must match
// testdata/schema-<version>.golden. Readers of a version rely on its fields,
// so a field may be added (record it with -update) but never renamed,
// removed, retyped or given or stripped of omitempty without a new Schema.
func TestSchemaIsPinned(t *testing.T) {
	got := schemaLines(t, reflect.TypeFor[report.Report]())
	version := report.Schema[strings.LastIndex(report.Schema, "/")+1:]
	path := filepath.Join("testdata", "schema-"+version+".golden")
	data, err := os.ReadFile(path)
	if err != nil && !(os.IsNotExist(err) && reporttest.Updating()) {
		t.Fatalf("%v; a new schema version records its fields with go test ./pkg/report -run TestSchemaIsPinned -update", err)
	}
	want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(data) == 0 {
		want = nil
	}
	var gone, added []string
	for _, l := range want {
		if !slices.Contains(got, l) {
			gone = append(gone, l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			added = append(added, l)
		}
	}
	if len(gone) > 0 {
		t.Fatalf("the report JSON no longer has these fields of %s as recorded in %s:\n  %s\n"+
			"a renamed, removed or retyped field (or one that gained or lost omitempty) breaks every reader of %s: "+
			"keep the field as it is, or make the change a new schema version (a new Schema constant, recorded with -update in a new golden file) and describe it in docs/report.md",
			report.Schema, path, strings.Join(gone, "\n  "), report.Schema)
	}
	if len(added) == 0 {
		return
	}
	if !reporttest.Updating() {
		t.Fatalf("the report JSON has fields %s does not record:\n  %s\n"+
			"adding fields keeps %s: record them with go test ./pkg/report -run TestSchemaIsPinned -update and describe them in docs/report.md",
			path, strings.Join(added, "\n  "), report.Schema)
	}
	if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// schemaLines lists "path type [omitempty]" for every JSON field reachable
// from typ, in field order; "[]" in a path is an array element, "{}" an
// object value.
func schemaLines(t *testing.T, typ reflect.Type) []string {
	t.Helper()
	var out []string
	var walk func(path string, typ reflect.Type, omit bool)
	walk = func(path string, typ reflect.Type, omit bool) {
		kind := jsonKind(t, path, typ)
		line := path + " " + kind
		if omit {
			line += " omitempty"
		}
		if path != "" {
			out = append(out, line)
		}
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case kind == "time":
		case typ.Kind() == reflect.Struct:
			for f := range typ.Fields() {
				name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if !f.IsExported() || name == "-" {
					continue
				}
				if f.Anonymous {
					t.Fatalf("%s: embedded field %s; spell the fields out so the schema stays readable", path, f.Name)
				}
				if name == "" {
					name = f.Name
				}
				walk(strings.TrimPrefix(path+"."+name, "."), f.Type, slices.Contains(strings.Split(opts, ","), "omitempty"))
			}
		case typ.Kind() == reflect.Slice:
			walk(path+"[]", typ.Elem(), false)
		case typ.Kind() == reflect.Map:
			walk(path+"{}", typ.Elem(), false)
		}
	}
	walk("", typ, false)
	return out
}

// jsonKind names how encoding/json writes a value of typ.
func jsonKind(t *testing.T, path string, typ reflect.Type) string {
	nullable := ""
	for typ.Kind() == reflect.Pointer {
		typ, nullable = typ.Elem(), "|null"
	}
	if typ == reflect.TypeFor[time.Time]() {
		return "time" + nullable
	}
	if reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Marshaler]()) {
		t.Fatalf("%s: %s marshals itself; teach jsonKind what its JSON looks like", path, typ)
	}
	switch typ.Kind() {
	case reflect.String:
		return "string" + nullable
	case reflect.Bool:
		return "boolean" + nullable
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer" + nullable
	case reflect.Float32, reflect.Float64:
		return "number" + nullable
	case reflect.Struct:
		return "object" + nullable
	case reflect.Slice:
		return "array|null"
	case reflect.Map:
		if typ.Key().Kind() != reflect.String {
			t.Fatalf("%s: map key %s; the report's objects have string keys", path, typ.Key())
		}
		return "object|null"
	}
	t.Fatalf("%s: %s has no JSON form the schema knows", path, typ)
	return fmt.Sprint(typ)
}
