package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSafetyPromisesHaveTests holds the README's Safety section to
// docs/testing.md: every promise has a row there, and every test a row
// names exists (a subtest as a t.Run of its test's package).
func TestSafetyPromisesHaveTests(t *testing.T) {
	readme := readDoc(t, "README.md")
	safety := section(t, readme, "## Safety")
	promises := regexp.MustCompile(`(?m)^- \*\*(.+?)\*\*`).FindAllStringSubmatch(safety, -1)
	if len(promises) == 0 {
		t.Fatal("the README's Safety section lists no promise as `- **Promise.**`")
	}
	rows := map[string]string{}
	for _, line := range strings.Split(section(t, readDoc(t, "docs/testing.md"), "## Safety promises"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 5 && strings.HasSuffix(strings.TrimSpace(cells[1]), ".") {
			rows[strings.TrimSpace(cells[1])] = cells[3]
		}
	}
	named := regexp.MustCompile("`([a-z0-9/]+): (Test[A-Za-z0-9]+)(?:/([^`]+))?`")
	for _, p := range promises {
		tests, ok := rows[p[1]]
		if !ok {
			t.Errorf("README promise %q has no row in docs/testing.md", p[1])
			continue
		}
		refs := named.FindAllStringSubmatch(tests, -1)
		if len(refs) == 0 {
			t.Errorf("promise %q: its row names no test", p[1])
		}
		for _, ref := range refs {
			src := testSources(t, ref[1])
			if !strings.Contains(src, "func "+ref[2]+"(t *testing.T)") {
				t.Errorf("promise %q: %s has no %s", p[1], ref[1], ref[2])
			}
			if ref[3] != "" && !strings.Contains(src, `t.Run("`+ref[3]+`"`) {
				t.Errorf("promise %q: %s has no subtest %q", p[1], ref[1], ref[3])
			}
		}
	}
	if len(rows) != len(promises) {
		t.Errorf("docs/testing.md has %d promises, the README %d", len(rows), len(promises))
	}
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section is the text under heading, up to the next heading of its level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("no %q heading", heading)
	}
	level := heading[:strings.Index(heading, " ")+1]
	if i := strings.Index(rest, "\n"+level); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// testSources is every _test.go file of a package directory, concatenated.
func testSources(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s (%v)", dir, err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}
