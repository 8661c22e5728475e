package kubelet

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestHandleLogs(t *testing.T) {
	k := &kubelet{cfg: Config{StateDir: t.TempDir()}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), workers: nil}
	dir := filepath.Join(k.cfg.StateDir, "pods", "shop_web_1234", "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"0.log": "first run\n", "1.log": "a\nb\nc\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.handleLogs)
	for _, tc := range []struct {
		name, url string
		code      int
		body      string
	}{
		{"current", "/containerLogs/shop/web/app", 200, "a\nb\nc\n"},
		{"previous", "/containerLogs/shop/web/app?previous=true", 200, "first run\n"},
		{"tail", "/containerLogs/shop/web/app?tailLines=2", 200, "b\nc\n"},
		{"tail zero", "/containerLogs/shop/web/app?tailLines=0", 200, ""},
		{"limit", "/containerLogs/shop/web/app?limitBytes=3", 200, "a\nb"},
		{"follow of a stopped container ends", "/containerLogs/shop/web/app?follow=true", 200, "a\nb\nc\n"},
		{"unknown container", "/containerLogs/shop/web/nope", 404, ""},
		{"unknown pod", "/containerLogs/shop/other/app", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code == 200 && rec.Body.String() != tc.body {
				t.Fatalf("body %q, want %q", rec.Body, tc.body)
			}
		})
	}
}
