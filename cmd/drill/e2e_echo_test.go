package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/testenv"
)

// shippedEchoAddr is where the shipped url scenarios expect `drill echo`.
const shippedEchoAddr = "127.0.0.1:18080"

// TestEchoScenarios runs the two shipped url scenarios against `drill echo`
// on a free port of its own (the scenarios as shipped, but for the port, so
// that another test run on the machine cannot answer or take it). Every
// request must succeed; the timing and rate checks may fail on a machine
// busy with other tests, so only those may make the run exit 3.
func TestEchoScenarios(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	echo := exec.Command(drillBin, "echo", "--listen", addr, "--name", "e2e")
	var out bytes.Buffer
	echo.Stdout, echo.Stderr = &out, &out
	if err := echo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = echo.Process.Signal(syscall.SIGTERM)
		_ = echo.Wait()
	})
	testenv.Eventually(t, 10*time.Second, 50*time.Millisecond, "drill echo listening on "+addr, func() (bool, string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false, fmt.Sprintf("%v\n%s", err, out.String())
		}
		c.Close()
		return true, ""
	})
	timing := map[string]bool{"p99": true, "rate": true}
	for _, file := range []string{"../../scenarios/echo-steady.yaml", "../../scenarios/echo-ramp.yaml"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			shipped, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(shipped, []byte(shippedEchoAddr)) {
				t.Fatalf("%s does not target %s", file, shippedEchoAddr)
			}
			file := filepath.Join(t.TempDir(), filepath.Base(file))
			if err := os.WriteFile(file, bytes.ReplaceAll(shipped, []byte(shippedEchoAddr), []byte(addr)), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "run")
			res := drill(t, "run", "--quiet", "--dir", dir, file)
			r, err := report.Load(dir)
			if err != nil {
				t.Fatalf("exit %d, no report: %v\n%s", res.code, err, res.stderr)
			}
			if r.Summary.Requests == 0 || r.Summary.Successes != r.Summary.Requests {
				t.Fatalf("%d of %d requests succeeded against drill echo; errors %v %+v", r.Summary.Successes, r.Summary.Requests, r.Summary.Errors, r.Summary.ErrorSet)
			}
			var failed []string
			for _, c := range r.Checks {
				if !c.Passed {
					failed = append(failed, c.Expr)
					if !timing[c.Metric] {
						t.Errorf("check %s failed (actual %s)", c.Expr, c.Actual)
					}
				}
			}
			want := report.ExitOK
			if len(failed) > 0 {
				want = report.ExitChecksFailed
				t.Logf("timing checks failed on this machine: %s", strings.Join(failed, ", "))
			}
			if res.code != want {
				t.Fatalf("exit %d, want %d\n%s", res.code, want, res.stderr)
			}
		})
	}
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
