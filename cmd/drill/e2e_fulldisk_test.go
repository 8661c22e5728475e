//go:build lab

package main

import (
	"bytes"
	"errors"
	"fmt"
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

// TestFullDiskLeavesValidReport runs into a 200 KiB tmpfs (mounted on a
// directory of the test's own, unmounted after) that fills up, by the
// run's own results (64 KiB bodies, capped to 4 KiB each) or by another
// file written once the run has started: the run stops with exit 1,
// report.json is a valid report saying the disk is full, results.bin ends
// on a whole result, and the space held for the report is given back.
func TestFullDiskLeavesValidReport(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   int
		filler bool
	}{
		{"results fill it", 64 << 10, false},
		{"another file fills it", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mnt := t.TempDir()
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", mnt).CombinedOutput(); err != nil {
				t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
			}
			t.Cleanup(func() {
				if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
					t.Errorf("umount %s: %v %s", mnt, err, out)
				}
			})
			srv := largeBodyServer(t, tc.body)
			dir := filepath.Join(mnt, "run")
			cmd := exec.Command(drillBin, "run", "--quiet", "--dir", dir, scenarioFile(t, srv.URL, "{rate: 20/s, duration: 20s}", "checks: [\"success_rate >= 99%\"]\n"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.filler {
				fill(t, dir, filepath.Join(mnt, "filler"))
			}
			_ = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != report.ExitError {
				t.Fatalf("exit %d, want %d\n%s", code, report.ExitError, stderr.String())
			}
			r, err := report.Load(dir)
			if err != nil {
				t.Fatalf("no valid report on a full disk: %v\n%s", err, stderr.String())
			}
			if r.Status != report.StatusError || !r.Incomplete || !strings.Contains(r.IncompleteReason, "no space left") {
				t.Errorf("report: status %s incomplete %v reason %q; want error, incomplete, the full disk named", r.Status, r.Incomplete, r.IncompleteReason)
			}
			if r.Summary.Requests == 0 || r.Summary.Requests >= 400 {
				t.Errorf("report counts %d requests: want the run stopped early, with what it measured", r.Summary.Requests)
			}
			if stored := decodeResults(t, filepath.Join(dir, "results.bin")); stored == 0 || stored > r.Summary.Requests {
				t.Errorf("results.bin holds %d whole results of %d", stored, r.Summary.Requests)
			}
			if _, err := os.Stat(filepath.Join(dir, ".report-reserve")); err == nil {
				t.Error("the space reserved for the report is still held after the run")
			}
		})
	}
}

// fill waits for the run in dir to have written results, then fills the
// file system with a file at path.
func fill(t *testing.T, dir, path string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, 20*time.Millisecond, "the run writing results", func() (bool, string) {
		st, err := os.Stat(filepath.Join(dir, "results.bin"))
		return err == nil && st.Size() > 0, fmt.Sprint(err)
	})
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}
