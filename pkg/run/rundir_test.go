package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
)

func TestClaimDir(t *testing.T) {
	t.Run("missing or empty", func(t *testing.T) {
		base := t.TempDir()
		if err := ClaimDir(filepath.Join(base, "new"), false); err != nil {
			t.Error(err)
		}
		if err := ClaimDir(base, false); err != nil {
			t.Error(err)
		}
	})
	t.Run("overwrite removes only run files", func(t *testing.T) {
		dir := t.TempDir()
		sub := filepath.Join(dir, "a-1")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(dir, report.FileName), filepath.Join(dir, ResultsFile), filepath.Join(sub, report.FileName), filepath.Join(dir, "notes.txt")} {
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := ClaimDir(dir, false); err == nil || !strings.Contains(err.Error(), "--overwrite") {
			t.Fatalf("non-empty dir: %v, want a refusal naming --overwrite", err)
		}
		if err := ClaimDir(dir, true); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(dir, report.FileName), filepath.Join(dir, ResultsFile), sub} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s is still there", p)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
			t.Errorf("a file drill did not write was removed: %v", err)
		}
	})
	t.Run("overwrite removes trials", func(t *testing.T) {
		dir := t.TempDir()
		combo := filepath.Join(dir, "proxyMode-ipvs")
		trial := filepath.Join(combo, "trial-1")
		if err := os.MkdirAll(trial, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{filepath.Join(trial, report.FileName), filepath.Join(trial, ResultsFile), filepath.Join(combo, report.PooledFileName)} {
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := ClaimDir(dir, true); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(combo); err == nil {
			t.Errorf("%s is still there", combo)
		}
	})
	t.Run("pending journal", func(t *testing.T) {
		dir := t.TempDir()
		j, err := inject.NewJournal(filepath.Join(dir, inject.JournalFile), inject.Access{Kubeconfig: "k", Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Record(-1, &inject.Scale{Deployment: "web", Replicas: 1}, inject.PhaseApplied, nil); err != nil {
			t.Fatal(err)
		}
		if err := ClaimDir(dir, true); err == nil || !strings.Contains(err.Error(), "drill recover") {
			t.Fatalf("pending journal: %v, want a refusal naming drill recover", err)
		}
	})
}
