package redact

import (
	"bytes"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pass@127.0.0.1:8080/a?b=c": "http://redacted@127.0.0.1:8080/a?b=c",
		"https://token@example.test/":           "https://redacted@example.test/",
		"http://127.0.0.1:8080/":                "http://127.0.0.1:8080/",
		"not a url":                             "not a url",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	in := `Get "http://user:***@127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused; see ssh://git@host and a@b`
	want := `Get "http://redacted@127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused; see ssh://redacted@host and a@b`
	if got := Text(in); got != want {
		t.Errorf("Text:\n got %s\nwant %s", got, want)
	}
}

func TestRedactorSecrets(t *testing.T) {
	r := New("Bearer s3cr3t<&>token", "abc") // "abc" is too short to replace
	for _, in := range []string{
		`Authorization: Bearer s3cr3t<&>token`,
		`{"h": "Bearer s3cr3t\u003c\u0026\u003etoken"}`,
		`{"h": "Bearer s3cr3t<&>token"}`,
		`<td>Bearer s3cr3t&lt;&amp;&gt;token</td>`,
	} {
		got := r.String(in)
		if strings.Contains(got, "s3cr3t") || !strings.Contains(got, Mark) {
			t.Errorf("String(%q) = %q", in, got)
		}
		if b := r.Bytes([]byte(in)); bytes.Contains(b, []byte("s3cr3t")) {
			t.Errorf("Bytes(%q) = %q", in, b)
		}
	}
	if got := r.String("abc http://u:p@h/"); got != "abc http://redacted@h/" {
		t.Errorf("short secret or userinfo: %q", got)
	}
	var none *Redactor
	if got := none.String("http://u:p@h/ Bearer s3cr3t<&>token"); got != "http://redacted@h/ Bearer s3cr3t<&>token" {
		t.Errorf("nil Redactor: %q", got)
	}
	var buf bytes.Buffer
	if n, err := r.Writer(&buf).Write([]byte("x Bearer s3cr3t<&>token\n")); err != nil || n != 24 || buf.String() != "x redacted\n" {
		t.Errorf("Writer: n=%d err=%v out=%q", n, err, buf.String())
	}
}

func BenchmarkRedactorClean(b *testing.B) {
	r := New("Bearer s3cr3t-token", "user:pass")
	body := []byte("ok\n")
	msg := `Get "http://127.0.0.1:8080/": dial tcp 127.0.0.1:8080: connect: connection refused`
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Bytes(body)
		_ = r.String(msg)
	}
}
