//go:build unix

// Package labtest brings up embedded labs for tests of packages that need a
// real cluster. A test that cannot have one fails under CI=true and is
// skipped elsewhere.
package labtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/testenv"
)

// Require returns the drill and drill-kube binaries for a lab test, or ends
// the test: it needs root, DRILL_BIN and DRILL_KUBE_BIN (make test sets both)
// and what the lab's nodes need (lab.CheckHost).
func Require(t testing.TB) (drill, kube string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("lab test cannot run in CI: %s", msg)
		}
		t.Skipf("lab test skipped: %s", msg)
	}
	if testing.Short() {
		t.Skip("lab test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		missing("needs root")
	}
	drill, kube = os.Getenv(lab.EnvDrillBinary), os.Getenv(lab.EnvKubeBinary)
	if drill == "" || kube == "" {
		missing("set %s and %s (make test does: it builds bin/drill and bin/drill-kube)", lab.EnvDrillBinary, lab.EnvKubeBinary)
	}
	for _, b := range []string{drill, kube} {
		if st, err := os.Stat(b); err != nil || st.Mode()&0o111 == 0 {
			missing("%s is not an executable (run make build kube)", b)
		}
	}
	if err := lab.CheckHost(drill); err != nil {
		missing("%v (make containerd deps)", err)
	}
	return drill, kube
}

// Up brings up a lab for the test and tears it down when the test ends,
// printing its logs if the test failed. The lab's name is cfg.Name with
// the test process's own prefix (testenv.LabName): read it from the lab.
func Up(ctx context.Context, t testing.TB, cfg lab.Config) *lab.Lab {
	t.Helper()
	cfg.DrillBinary, cfg.KubeBinary = Require(t)
	cfg.Name = Name(t, cfg.Name)
	if cfg.StateRoot == "" {
		cfg.StateRoot = t.TempDir()
	}
	cfg.Progress = logWriter{t}
	l, err := lab.Up(ctx, cfg)
	if err != nil {
		if l != nil {
			DumpLogs(t, l)
			_ = l.Down(context.Background())
		}
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			DumpLogs(t, l)
		}
		if err := l.Down(context.Background()); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	return l
}

// Name is testenv.LabName for a test: short with this test process's prefix.
func Name(t testing.TB, short string) string {
	t.Helper()
	name, err := testenv.LabName(short)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// DumpLogs writes the tail of every log of l to the test log.
func DumpLogs(t testing.TB, l *lab.Lab) {
	t.Helper()
	var b strings.Builder
	dumpLogsTo(&b, l)
	t.Log(b.String())
}

// dumpLogsTo writes the last 30 lines of every log of l to w.
func dumpLogsTo(w io.Writer, l *lab.Lab) {
	files, _ := filepath.Glob(filepath.Join(l.LogDir(), "*.log"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(w, "--- %s (last %d lines)\n%s\n", filepath.Base(f), len(lines), strings.Join(lines, "\n"))
	}
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// Cluster returns a client of the lab's API server, as drill uses it.
func Cluster(t testing.TB, l *lab.Lab) *cluster.Cluster {
	t.Helper()
	rc, err := l.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := cluster.New(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// Shared is one lab for every test of a package that asks for it: the first
// test to call Lab brings it up, TestMain takes it down after m.Run with
// Down. Tests sharing it must leave it as they found it for the next one,
// or work in a namespace of their own.
type Shared struct {
	// Config is the lab's configuration; Name is prefixed as in Up.
	Config lab.Config
	once   sync.Once
	lab    *lab.Lab
	err    error
}

// Lab returns the shared lab, bringing it up on first use; a lab that could
// not come up fails every test that asks for it.
func (s *Shared) Lab(t testing.TB) *lab.Lab {
	t.Helper()
	cfg := s.Config
	cfg.DrillBinary, cfg.KubeBinary = Require(t)
	cfg.Name = Name(t, cfg.Name)
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if cfg.StateRoot == "" {
			if cfg.StateRoot, s.err = os.MkdirTemp("", "drill-labtest-"); s.err != nil {
				return
			}
		}
		// The lab outlives the test that brought it up: its progress
		// cannot go to that test's log.
		cfg.Progress = io.Discard
		s.lab, s.err = lab.Up(ctx, cfg)
		if s.err != nil && s.lab != nil {
			DumpLogs(t, s.lab)
		}
	})
	if s.err != nil {
		t.Fatalf("shared lab %s: %v", cfg.Name, s.err)
	}
	return s.lab
}

// Down takes the shared lab down, if a test brought it up, printing the
// tail of its logs to stderr when the tests failed (code != 0). It
// returns the exit code TestMain should exit with: code, or 1 when the
// lab did not come down cleanly.
func (s *Shared) Down(code int) int {
	if s.lab == nil {
		return code
	}
	if code != 0 {
		dumpLogsTo(os.Stderr, s.lab)
	}
	root := filepath.Dir(s.lab.Plan().StateDir)
	err := s.lab.Down(context.Background())
	if strings.HasPrefix(filepath.Base(root), "drill-labtest-") {
		os.RemoveAll(root)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "shared lab down: %v\n", err)
		return 1
	}
	return code
}
