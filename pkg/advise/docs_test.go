package advise

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the rules part of docs/advise.md")

const (
	docsFile   = "../../docs/advise.md"
	rulesBegin = "<!-- rules: generated from pkg/advise by go test ./pkg/advise -update -->\n"
	rulesEnd   = "<!-- end of rules -->\n"
)

// TestDocsListEveryRule holds docs/advise.md to the registry: its rules part
// is what WriteRulesMarkdown writes.
func TestDocsListEveryRule(t *testing.T) {
	data, err := os.ReadFile(docsFile)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, rulesBegin), strings.Index(doc, rulesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no part between %q and %q", docsFile, rulesBegin, rulesEnd)
	}
	var b strings.Builder
	if err := WriteRulesMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "\n" + b.String()
	got := doc[i+len(rulesBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(docsFile, []byte(doc[:i+len(rulesBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the rules in %s differ from the registry; run go test ./pkg/advise -update", docsFile)
}

func TestRulesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s twice", r.ID)
		}
		seen[r.ID] = true
		if r.Summary == "" || r.Why == "" || r.Evidence == "" || r.Fix == "" || len(r.Sources) == 0 || r.check == nil && r.live == nil {
			t.Errorf("rule %s lacks a summary, why, evidence, fix, source or check", r.ID)
		}
		if r.Level != LevelError && r.Level != LevelWarning && r.Level != LevelInfo {
			t.Errorf("rule %s: level %q", r.ID, r.Level)
		}
		for _, s := range r.Sources {
			if !strings.HasPrefix(s, "https://") {
				path, _, _ := strings.Cut(s, "#")
				if _, err := os.Stat("../../" + path); err != nil {
					t.Errorf("rule %s: source %s: %v", r.ID, s, err)
				}
			}
		}
	}
}
