package advise

import (
	"fmt"
	"io"
	"strings"
)

// WriteRulesMarkdown documents every rule in Markdown: a section per rule
// with its level, what it flags, why, the evidence, the fix and the sources
// (the rules part of docs/advise.md).
func WriteRulesMarkdown(w io.Writer) error {
	var b strings.Builder
	esc := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace
	sentence := func(s string) string { return strings.ToUpper(s[:1]) + esc(s[1:]) }
	for _, r := range Rules() {
		fmt.Fprintf(&b, "### `%s`\n\n", r.ID)
		fmt.Fprintf(&b, "Level: **%s**. Flags: %s.\n\n", r.Level, esc(r.Summary))
		fmt.Fprintf(&b, "%s\n\n", esc(r.Why))
		fmt.Fprintf(&b, "**Evidence.** %s.\n\n", sentence(r.Evidence))
		fmt.Fprintf(&b, "**Fix.** %s.\n\n", sentence(r.Fix))
		b.WriteString("**Sources.**\n")
		for _, s := range r.Sources {
			link := s
			if !strings.HasPrefix(s, "https://") {
				// Paths of this repository, relative to docs/.
				link = "../" + s
			}
			fmt.Fprintf(&b, "- [%s](%s)\n", s, link)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
