package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
)

// TestRollingUpdateScenarios runs the two shipped rolling-update scenarios on
// the embedded lab, through the lab ALB: without preStop the update drops
// requests and the checks fail; with a preStop sleep longer than the
// deregistration propagation it drops none.
func TestRollingUpdateScenarios(t *testing.T) {
	labtest.Require(t)
	for _, tc := range []struct {
		file string
		code int
	}{
		{"../../scenarios/rolling-update-no-prestop.yaml", report.ExitChecksFailed},
		{"../../scenarios/rolling-update-prestop.yaml", report.ExitOK},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			res := drill(t, "run", "--quiet", "--dir", dir, tc.file)
			r, err := report.Load(dir)
			if err != nil {
				t.Fatalf("exit %d, no report: %v\n%s", res.code, err, res.stderr)
			}
			failed := r.Summary.Requests - r.Summary.Successes
			t.Logf("exit %d: %d requests, %d failed, codes %v, errors %v", res.code, r.Summary.Requests, failed, r.Summary.Codes, r.Summary.Errors)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res.stderr)
			}
			if tc.code == report.ExitOK && failed != 0 {
				t.Fatalf("%d requests failed with preStop", failed)
			}
			if tc.code == report.ExitChecksFailed && failed == 0 {
				t.Fatal("no request failed without preStop")
			}
			if r.Target.Kind != report.TargetLab || !strings.HasPrefix(r.Target.URL, "http://127.0.0.1:") {
				t.Fatalf("target %+v: want the lab ALB on loopback", r.Target)
			}
			var rolled, targets bool
			for _, e := range r.Events {
				rolled = rolled || strings.Contains(e.Message, "rolling update of deployment default/web completed")
				targets = targets || (e.Kind == report.EventTarget && strings.Contains(e.Message, "draining"))
			}
			if !rolled || !targets {
				t.Fatalf("timeline lacks the completed rollout (%v) or a draining target (%v)", rolled, targets)
			}
			leftovers, _ := filepath.Glob("/run/netns/drill-run-*")
			if len(leftovers) > 0 {
				t.Fatalf("the run's lab left network namespaces: %v", leftovers)
			}
			if _, err := os.Stat("/run/drill/labs/run"); err == nil {
				t.Fatal("the run's lab left its state directory")
			}
		})
	}
}

// EnvHostSysctlTests enables the tests that change the host's global
// conntrack limit. They must not run alongside other lab tests (every lab's
// nodes share that limit), so `make test` runs them on their own after the
// rest.
const EnvHostSysctlTests = "DRILL_HOST_SYSCTL_TESTS"

// TestConntrackScenarios runs the two shipped conntrack scenarios: the
// flood fills a 4096-entry table, new connections are dropped and the
// checks fail; with the table sized like kube-proxy's default the same
// flood drops nothing. The host's limit is the same before and after.
func TestConntrackScenarios(t *testing.T) {
	labtest.Require(t)
	if os.Getenv(EnvHostSysctlTests) != "1" {
		t.Skipf("changes the host's nf_conntrack_max; `make test` runs it alone with %s=1", EnvHostSysctlTests)
	}
	const sysctl = "/proc/sys/net/netfilter/nf_conntrack_max"
	before, err := os.ReadFile(sysctl)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		code int
	}{
		{"../../scenarios/conntrack-overflow.yaml", report.ExitChecksFailed},
		{"../../scenarios/conntrack-overflow-tuned.yaml", report.ExitOK},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			res := drill(t, "run", "--quiet", "--allow-host-sysctl", "--dir", dir, tc.file)
			if after, _ := os.ReadFile(sysctl); string(after) != string(before) {
				t.Fatalf("nf_conntrack_max is %q after the run, was %q", after, before)
			}
			r, err := report.Load(dir)
			if err != nil {
				t.Fatalf("exit %d, no report: %v\n%s", res.code, err, res.stderr)
			}
			drops, fill := r.Sampled["conntrack_drops"], r.Sampled["conntrack_max_fill"]
			t.Logf("exit %d: %d requests, %d failed, codes %v; conntrack drops %.0f, highest fill %.2f",
				res.code, r.Summary.Requests, r.Summary.Requests-r.Summary.Successes, r.Summary.Codes, drops, fill)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res.stderr)
			}
			if len(r.Conntrack) != 2 {
				t.Fatalf("conntrack series for %d nodes, want 2", len(r.Conntrack))
			}
			full := false
			for _, s := range r.Conntrack {
				for _, p := range s.Points {
					full = full || (p.Max > 0 && p.Count >= p.Max)
				}
			}
			if tc.code == report.ExitChecksFailed && (drops == 0 || !full) {
				t.Fatalf("flood on a 4096-entry table: %v drops, a full sample: %v; want both", drops, full)
			}
			if tc.code == report.ExitOK && (drops != 0 || full) {
				t.Fatalf("flood on a 131072-entry table: %v drops, a full sample: %v; want neither", drops, full)
			}
		})
	}
}
