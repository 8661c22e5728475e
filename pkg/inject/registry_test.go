package inject

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestActionsAreOneEach: every action makes its own fault type, and a fault
// leads back to its action.
func TestActionsAreOneEach(t *testing.T) {
	seen := map[reflect.Type]string{}
	for _, a := range Actions() {
		f := a.New()
		if prev, dup := seen[reflect.TypeOf(f)]; dup {
			t.Errorf("%s and %s make the same fault type %T", prev, a.Name, f)
		}
		seen[reflect.TypeOf(f)] = a.Name
		if got := ActionOf(f).Name; got != a.Name {
			t.Errorf("ActionOf(%T) = %q, want %q", f, got, a.Name)
		}
		if got, ok := Lookup(a.Name); !ok || got.Name != a.Name {
			t.Errorf("Lookup(%q) = %v, %t", a.Name, got.Name, ok)
		}
	}
	if _, ok := Lookup("podkill"); ok {
		t.Error("Lookup is not case-sensitive like the scenario's keys")
	}
}

// TestFaultsDocumented holds docs/faults.md to the registry: each action has
// a row in its table naming every parameter.
func TestFaultsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/faults.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		if name, _, ok := strings.Cut(strings.TrimPrefix(line, "| `"), "` |"); ok && strings.HasPrefix(line, "| `") {
			rows[name] = line
		}
	}
	for _, a := range Actions() {
		row, ok := rows[a.Name]
		if !ok {
			t.Errorf("docs/faults.md has no row for %s", a.Name)
			continue
		}
		params := reflect.TypeOf(a.New()).Elem()
		for i := range params.NumField() {
			name, _, _ := strings.Cut(params.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" && !strings.Contains(row, "`"+name+"`") {
				t.Errorf("docs/faults.md: the %s row does not name its parameter `%s`", a.Name, name)
			}
		}
	}
}
