// Package redact keeps credentials out of everything drill writes: the
// userinfo of URLs (http://user:pass@host) and the values of secret headers
// (Authorization and those a scenario names).
package redact

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mark replaces what is redacted.
const Mark = "redacted"

// MinSecretLen is the shortest header value replaced wherever it occurs:
// a shorter one would also replace innocent text (a value "a" every "a").
const MinSecretLen = 4

// userinfo matches the userinfo of a URL in free text, after its scheme.
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#@"'<>\\]+@`)

// URL returns raw with its userinfo, if any, replaced by Mark.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return Text(raw)
	}
	u.User = url.User(Mark)
	return u.String()
}

// Text returns s with the userinfo of every URL in it replaced by Mark.
func Text(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllString(s, "${1}"+Mark+"@")
}

// Redactor removes userinfo from URLs and a fixed set of secret values
// (in the forms JSON, HTML, XML and Markdown escaping give them). The zero
// value and a nil *Redactor remove userinfo only. It is safe for concurrent
// use.
type Redactor struct {
	secrets [][]byte
	strs    []string
}

// New returns a Redactor of the given secrets; those shorter than
// MinSecretLen are left out.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		for _, v := range variants(s) {
			if !slices.Contains(r.strs, v) {
				r.strs = append(r.strs, v)
			}
		}
	}
	// Longest first, so that a secret containing another goes whole.
	slices.SortFunc(r.strs, func(a, b string) int { return len(b) - len(a) })
	for _, s := range r.strs {
		r.secrets = append(r.secrets, []byte(s))
	}
	return r
}

// variants are the forms s takes in drill's outputs.
func variants(s string) []string {
	j, _ := json.Marshal(s)
	jsonForm := strings.TrimSuffix(strings.TrimPrefix(string(j), `"`), `"`) // with HTML escaping, as encoding/json does by default
	var noHTML bytes.Buffer
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plainJSON := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(noHTML.String()), `"`), `"`)
	var xmlForm strings.Builder
	_ = xml.EscapeText(&xmlForm, []byte(s))
	md := strings.NewReplacer(`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`).Replace(s)
	return []string{s, jsonForm, plainJSON, html.EscapeString(s), xmlForm.String(), md}
}

// HasSecrets reports whether r replaces secret values, not only userinfo.
func (r *Redactor) HasSecrets() bool { return r != nil && len(r.secrets) > 0 }

// String returns s without userinfo and secrets.
func (r *Redactor) String(s string) string {
	s = Text(s)
	if !r.HasSecrets() {
		return s
	}
	for _, sec := range r.strs {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mark)
		}
	}
	return s
}

// Bytes returns b without userinfo and secrets: b itself when there is
// nothing to remove, else a new slice.
func (r *Redactor) Bytes(b []byte) []byte {
	if bytes.IndexByte(b, '@') >= 0 {
		b = userinfo.ReplaceAll(b, []byte("${1}"+Mark+"@"))
	}
	if !r.HasSecrets() {
		return b
	}
	for _, sec := range r.secrets {
		if bytes.Contains(b, sec) {
			b = bytes.ReplaceAll(b, sec, []byte(Mark))
		}
	}
	return b
}

// Writer returns a writer that redacts every Write to w. A secret split
// across two Writes is not recognised: write whole messages.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &writer{r: r, w: w} }

type writer struct {
	r *Redactor
	w io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	if _, err := w.w.Write(w.r.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer redacted to (to tell whether it is a terminal).
func (w *writer) Unwrap() io.Writer { return w.w }
