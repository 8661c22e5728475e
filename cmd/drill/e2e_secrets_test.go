package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// Credentials in the target URL and secret header values reach the server
// but no file of the run directory, no rendering and no message: the server
// below even echoes them back in its responses' headers and bodies, which
// the results file stores.
func TestCredentialsAreWrittenNowhere(t *testing.T) {
	t.Parallel()
	const token, apiKey = "Bearer s3cr3t-token-1234", "k3y-abcdef-9876"
	var authorized atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == token && r.Header.Get("X-Api-Key") == apiKey {
			authorized.Add(1)
		}
		w.Header().Set("X-Echo", r.Header.Get("Authorization")+" "+r.Header.Get("X-Api-Key"))
		switch r.URL.Path {
		case "/cut": // no response: Go's error names the URL, user included
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		case "/fail":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("denied " + r.Header.Get("Authorization")))
		default:
			_, _ = w.Write([]byte("hello " + r.Header.Get("Authorization") + " " + r.Header.Get("X-Api-Key")))
		}
	}))
	t.Cleanup(srv.Close)
	target := strings.Replace(srv.URL, "http://", "http://drilluser:hunter2pw@", 1)
	load := `{rate: 50/s, duration: 2s, secretHeaders: [x-api-key], headers: {Authorization: "` + token + `", X-Api-Key: ` + apiKey + `},
  requests: [{path: /, weight: 2}, {path: /fail}, {path: /cut}]}`
	file := scenarioFile(t, target, load, "checks: [\"errors == 0\"]\n")
	dir := filepath.Join(t.TempDir(), "run")
	outputs := []result{drill(t, "run", "--dir", dir, "-o", "md", file)}
	if outputs[0].code != 3 {
		t.Fatalf("exit %d, want 3 (the check fails)\n%s", outputs[0].code, outputs[0].stderr)
	}
	if authorized.Load() == 0 {
		t.Fatal("the server never got the credentials: they must still be sent")
	}
	for _, format := range []string{"table", "md", "json", "junit", "html"} {
		outputs = append(outputs, drill(t, "report", dir, "-o", format), drill(t, "report", "--from-results", dir, "-o", format))
	}
	outputs = append(outputs, drill(t, "run", "--dry-run", file), drill(t, "validate", file))
	secrets := []string{"hunter2pw", "drilluser", "s3cr3t-token", apiKey}
	for i, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out.stdout, s) || strings.Contains(out.stderr, s) {
				t.Errorf("output %d (exit %d) shows %q:\nstdout:\n%s\nstderr:\n%s", i, out.code, s, out.stdout, out.stderr)
			}
		}
	}
	if !strings.Contains(outputs[1].stdout, "redacted@") || !strings.Contains(outputs[1].stdout, "EOF") {
		t.Errorf("the report does not show the target and the error, redacted:\n%s", outputs[1].stdout)
	}
	files := 0
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds %q", path, s)
			}
		}
		return nil
	})
	if err != nil || files < 2 {
		t.Fatalf("walk %s: %v (%d files)", dir, err, files)
	}
}
