package load

import (
	"net/http"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/redact"
)

// BenchmarkRedactResult is what keeping credentials out of results costs
// per result, in the three cases of a run.
func BenchmarkRedactResult(b *testing.B) {
	ok := func() *vegeta.Result {
		return &vegeta.Result{Code: 200, Body: []byte("ok\n"), Headers: http.Header{
			"Content-Length": {"3"}, "Content-Type": {"text/plain; charset=utf-8"},
			"Date": {"Wed, 25 Nov 2026 23:30:00 GMT"}, "X-Drill-Backend": {"web-7d9f-a"}}}
	}
	failed := &vegeta.Result{Error: `Get "http://127.0.0.1:8080/": dial tcp 127.0.0.1:8080: connect: connection refused`}
	withSecrets := redact.New("Bearer s3cr3t-token-1234")
	for _, c := range []struct {
		name string
		red  *redact.Redactor
		r    *vegeta.Result
	}{
		{"success, no secret header", redact.New(), ok()},
		{"success, a secret header", withSecrets, ok()},
		{"failure, a secret header", withSecrets, failed},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			msg := c.r.Error
			for b.Loop() {
				c.r.Error = msg
				redactResult(c.red, c.r)
			}
		})
	}
}
