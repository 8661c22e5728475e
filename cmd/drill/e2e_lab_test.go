//go:build lab

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
)

// labScenario is a shipped lab scenario and the exit code it must end with.
type labScenario struct {
	file string
	code int
}

// runLabs counts the labs this test process's drill runs bring up.
var runLabs atomic.Int64

// runLabName gives a drill run of these tests a lab of its own, so that
// runs go side by side, here and beside another test run on the machine.
func runLabName(t *testing.T) string {
	return labtest.Name(t, fmt.Sprintf("r%d", runLabs.Add(1)))
}

// runScenarios runs each scenario with drill run (plus args) in a subtest,
// checks its exit code, and hands its report to check. Parallel subtests
// run beside the other parallel lab tests, each on a lab of its own.
func runScenarios(t *testing.T, scenarios []labScenario, args []string, parallel bool, check func(t *testing.T, sc labScenario, lab string, r *report.Report)) {
	for _, sc := range scenarios {
		t.Run(filepath.Base(sc.file), func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			lab := runLabName(t)
			dir := filepath.Join(t.TempDir(), "run")
			res := drill(t, append(append([]string{"run", "--quiet", "--dir", dir, "--lab-name", lab}, args...), sc.file)...)
			r, err := report.Load(dir)
			if err != nil {
				t.Fatalf("exit %d, no report: %v\n%s", res.code, err, res.stderr)
			}
			t.Logf("exit %d: %d requests, %d failed, codes %v", res.code, r.Summary.Requests, r.Summary.Requests-r.Summary.Successes, r.Summary.Codes)
			if res.code != sc.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, sc.code, res.stderr)
			}
			check(t, sc, lab, r)
		})
	}
}

// requireCauses fails unless at least 90% of the run's failed requests
// have a known cause and most have want.
func requireCauses(t *testing.T, r *report.Report, want string) {
	t.Helper()
	c := r.Causes
	if c == nil {
		t.Fatal("a run with failed requests has no causes")
	}
	var top report.CauseCount
	for _, cc := range c.Total {
		t.Logf("cause %s ×%d: %s", cc.Cause, cc.Count, cc.Explanation)
		if cc.Count > top.Count {
			top = cc
		}
	}
	if c.Failures != r.Summary.Requests-r.Summary.Successes {
		t.Errorf("%d failures classified, the run had %d", c.Failures, r.Summary.Requests-r.Summary.Successes)
	}
	if c.Known() < 0.9 || top.Cause != want {
		t.Fatalf("%.1f%% of the failures have a known cause, most are %s; want at least 90%% and most %s", 100*c.Known(), top.Cause, want)
	}
}

// TestRollingUpdateScenarios runs the two shipped rolling-update scenarios on
// the embedded lab, through the lab ALB: without preStop the update drops
// requests and the checks fail; with a preStop sleep longer than the
// deregistration propagation it drops none.
func TestRollingUpdateScenarios(t *testing.T) {
	labtest.Require(t)
	runScenarios(t, []labScenario{
		{"../../scenarios/rolling-update-no-prestop.yaml", report.ExitChecksFailed},
		{"../../scenarios/rolling-update-prestop.yaml", report.ExitOK},
	}, nil, true, func(t *testing.T, sc labScenario, lab string, r *report.Report) {
		failed := r.Summary.Requests - r.Summary.Successes
		if sc.code == report.ExitOK && failed != 0 {
			t.Fatalf("%d requests failed with preStop", failed)
		}
		if sc.code == report.ExitChecksFailed && failed == 0 {
			t.Fatal("no request failed without preStop")
		}
		if sc.code == report.ExitChecksFailed {
			requireCauses(t, r, report.CauseDeregistrationLag)
			if v, ok := r.Sampled["deregistration_lag_max"]; !ok || v <= 0 {
				t.Fatalf("deregistration_lag_max = %v (measured %v), want the pods' deletion to their targets draining", v, ok)
			}
		}
		// drill advise's rules ran on the setup at the start: the missing
		// preStop is noted, without changing the verdict.
		var missing []string
		for _, n := range r.Environment.Notes {
			if strings.HasPrefix(n, run.AdvicePrefix) {
				t.Logf("note: %s", n)
				if strings.Contains(n, "error prestop-missing") {
					missing = append(missing, n)
				}
			}
		}
		if want := sc.code == report.ExitChecksFailed; (len(missing) == 1) != want {
			t.Errorf("prestop-missing notes %q, want one: %v", missing, want)
		}
		// The termination timings from the kubelet's evidence: no hook,
		// or the 15 s exec sleep measured up to drill echo's SIGTERM.
		pre, ok := r.Sampled["prestop_duration_max"]
		exit, okExit := r.Sampled["sigterm_to_exit_max"]
		t.Logf("prestop_duration_max %v (%v), sigterm_to_exit_max %v (%v)", pre, ok, exit, okExit)
		if sc.code == report.ExitChecksFailed && (!ok || pre != 0) || sc.code == report.ExitOK && (!ok || pre < 14 || pre > 30) {
			t.Errorf("prestop_duration_max = %v (measured %v)", pre, ok)
		}
		if !okExit || exit < 0 || exit > 30 {
			t.Errorf("sigterm_to_exit_max = %v (measured %v), want within the 30 s grace period", exit, okExit)
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
		leftovers, _ := filepath.Glob("/run/netns/drill-" + lab + "-*")
		if len(leftovers) > 0 {
			t.Fatalf("the run's lab left network namespaces: %v", leftovers)
		}
		if _, err := os.Stat("/run/drill/labs/" + lab); err == nil {
			t.Fatal("the run's lab left its state directory")
		}
	})
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
	runScenarios(t, []labScenario{
		{"../../scenarios/conntrack-overflow.yaml", report.ExitChecksFailed},
		{"../../scenarios/conntrack-overflow-tuned.yaml", report.ExitOK},
	}, []string{"--allow-host-sysctl"}, false, func(t *testing.T, sc labScenario, lab string, r *report.Report) {
		if after, _ := os.ReadFile(sysctl); string(after) != string(before) {
			t.Fatalf("nf_conntrack_max is %q after the run, was %q", after, before)
		}
		drops, fill := r.Sampled["conntrack_drops"], r.Sampled["conntrack_max_fill"]
		t.Logf("conntrack drops %.0f, highest fill %.2f", drops, fill)
		if len(r.Conntrack) != 2 {
			t.Fatalf("conntrack series for %d nodes, want 2", len(r.Conntrack))
		}
		full := false
		for _, s := range r.Conntrack {
			for _, p := range s.Points {
				full = full || (p.Max > 0 && p.Count >= p.Max)
			}
		}
		if sc.code == report.ExitChecksFailed && (drops == 0 || !full) {
			t.Fatalf("flood on a 4096-entry table: %v drops, a full sample: %v; want both", drops, full)
		}
		if sc.code == report.ExitChecksFailed && r.Summary.Successes < r.Summary.Requests {
			requireCauses(t, r, report.CauseDatapathDrop)
		}
		if sc.code == report.ExitOK && (drops != 0 || full) {
			t.Fatalf("flood on a 131072-entry table: %v drops, a full sample: %v; want neither", drops, full)
		}
	})
}

// TestConntrackTimeWaitScenarios runs the TIME_WAIT pair: a new
// connection per request fills 4096-entry tables with TIME_WAIT entries
// under the kernel's 120 s timeout, and new connections are dropped; with
// time_wait 10 s in every node's namespace the same churn stays well below
// the limit. Like TestConntrackScenarios it changes the host's
// nf_conntrack_max and runs alone.
func TestConntrackTimeWaitScenarios(t *testing.T) {
	labtest.Require(t)
	if os.Getenv(EnvHostSysctlTests) != "1" {
		t.Skipf("changes the host's nf_conntrack_max; `make test` runs it alone with %s=1", EnvHostSysctlTests)
	}
	runScenarios(t, []labScenario{
		{"../../scenarios/conntrack-timewait.yaml", report.ExitChecksFailed},
		{"../../scenarios/conntrack-timewait-tuned.yaml", report.ExitOK},
	}, []string{"--allow-host-sysctl"}, false, func(t *testing.T, sc labScenario, lab string, r *report.Report) {
		drops, fill := r.Sampled["conntrack_drops"], r.Sampled["conntrack_max_fill"]
		var timeWait int64
		for _, s := range r.Conntrack {
			for _, p := range s.Points {
				timeWait = max(timeWait, p.States["TIME_WAIT"])
			}
		}
		t.Logf("conntrack drops %.0f, highest fill %.2f, most TIME_WAIT entries on a node %d", drops, fill, timeWait)
		if timeWait == 0 {
			t.Fatal("no TIME_WAIT entry sampled: the states were not counted")
		}
		if sc.code == report.ExitChecksFailed && fill < 0.9 {
			t.Fatalf("time_wait 120 s: highest fill %.2f; want the table (nearly) full", fill)
		}
		if sc.code == report.ExitChecksFailed {
			requireCauses(t, r, report.CauseDatapathDrop)
		}
		if sc.code == report.ExitOK && (drops != 0 || fill >= 0.9) {
			t.Fatalf("time_wait 10 s: %v drops, highest fill %.2f; want none and below 0.9", drops, fill)
		}
	})
}

// TestBlueGreenScenarios runs the selector-switch and blue-green scenarios:
// after a Service selector switch the load balancer's keep-alive
// connections keep reaching blue through conntrack until blue is scaled
// down, and the requests in flight then fail; with weighted target groups
// the switch is immediate and retiring blue fails nothing.
func TestBlueGreenScenarios(t *testing.T) {
	labtest.Require(t)
	runScenarios(t, []labScenario{
		{"../../scenarios/selector-switch.yaml", report.ExitChecksFailed},
		{"../../scenarios/blue-green.yaml", report.ExitOK},
	}, nil, true, func(t *testing.T, sc labScenario, lab string, r *report.Report) {
		// Requests blue answered well after the switch at 10s (kube-proxy
		// has long synced by 13s) and before blue is retired at 20s.
		var blueAfterSwitch uint64
		for _, s := range r.Summary.Timeline {
			for name, n := range s.Backends {
				if s.T >= 13 && s.T < 19 && strings.HasPrefix(name, "web-blue-") {
					blueAfterSwitch += n
				}
			}
		}
		failed := r.Summary.Requests - r.Summary.Successes
		t.Logf("blue answered %d requests 3-9 s after the switch", blueAfterSwitch)
		if sc.code == report.ExitChecksFailed && (failed == 0 || blueAfterSwitch == 0) {
			t.Fatalf("selector switch: %d failed, blue answered %d after the switch; want both above 0", failed, blueAfterSwitch)
		}
		if sc.code == report.ExitChecksFailed {
			requireCauses(t, r, report.CauseConnectionReuse)
		}
		if sc.code == report.ExitOK && (failed != 0 || blueAfterSwitch != 0) {
			t.Fatalf("weighted switch: %d failed, blue answered %d after the switch; want neither", failed, blueAfterSwitch)
		}
	})
}

// TestSelectorSwitchFlushScenario runs the selector switch followed by a
// flush of the Service port's conntrack entries on every node: the flush
// deletes entries on each node, cuts the load balancer's keep-alive
// connections to blue (requests in flight fail: resets and hung requests)
// and from then on green answers everything, so retiring blue fails
// nothing.
func TestSelectorSwitchFlushScenario(t *testing.T) {
	labtest.Require(t)
	runScenarios(t, []labScenario{{"../../scenarios/selector-switch-flush.yaml", report.ExitChecksFailed}}, nil, true,
		func(t *testing.T, sc labScenario, lab string, r *report.Report) {
			var flushed string
			for _, e := range r.Events {
				if strings.HasPrefix(e.Message, "conntrack entries deleted: ") {
					flushed = e.Message
				}
			}
			if !strings.Contains(flushed, "node-1 ") || !strings.Contains(flushed, "node-2 ") || strings.Contains(flushed, " 0 in ") {
				t.Fatalf("timeline says %q: want entries deleted on node-1 and node-2", flushed)
			}
			// The flush runs at 12s; kube-proxy has long synced by 14s.
			var atFlush, afterFlush, blueAfterFlush uint64
			for _, s := range r.Summary.Timeline {
				failed := s.Requests - s.Successes
				switch {
				case s.T >= 12 && s.T < 14:
					atFlush += failed
				case s.T >= 14:
					afterFlush += failed
				}
				for name, n := range s.Backends {
					if s.T >= 14 && strings.HasPrefix(name, "web-blue-") {
						blueAfterFlush += n
					}
				}
			}
			t.Logf("%s; %d failed at the flush, %d after it; blue answered %d after it", flushed, atFlush, afterFlush, blueAfterFlush)
			if atFlush == 0 || afterFlush != 0 || blueAfterFlush != 0 {
				t.Fatalf("flush after the switch: %d failed at it, %d after, blue answered %d after; want >0, 0, 0", atFlush, afterFlush, blueAfterFlush)
			}
		})
}

// TestMatrixScenario runs the shipped matrix scenario: both combinations
// run, each report is labelled with its combination, the run without
// preStop fails requests and the one with it does not, and the comparison
// printed at the end calls the second better.
func TestMatrixScenario(t *testing.T) {
	labtest.Require(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, "--lab-name", runLabName(t), "../../scenarios/rolling-update-matrix.yaml")
	if res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, want %d (the worst of the two runs)\n%s", res.code, report.ExitChecksFailed, res.stderr)
	}
	for _, tc := range []struct {
		sub, variant string
		fails        bool
	}{{"preStopSleep-0s", "preStopSleep=0s", true}, {"preStopSleep-15s", "preStopSleep=15s", false}} {
		r, err := report.Load(filepath.Join(dir, tc.sub))
		if err != nil {
			t.Fatalf("combination %s: %v\n%s", tc.variant, err, res.stderr)
		}
		failed := r.Summary.Requests - r.Summary.Successes
		t.Logf("%s: %d requests, %d failed, codes %v", r.Variant, r.Summary.Requests, failed, r.Summary.Codes)
		if r.Variant != tc.variant || (failed > 0) != tc.fails {
			t.Errorf("combination %s: variant %q, %d failed", tc.variant, r.Variant, failed)
		}
	}
	if !strings.Contains(res.stdout, "Comparison of the matrix's 2 runs") || !strings.Contains(res.stdout, "better") {
		t.Errorf("no comparison calling a metric better at the end:\n%s", res.stdout)
	}
}

// TestPodImbalanceScenario runs the shipped pod-imbalance matrix: both
// combinations reach every pod and succeed, and each report names its
// proxy mode (and whether IPVS was emulated). Which one passes
// backend_share_cv < 0.3 depends on how the lab ALB's keep-alive
// connections happen to land on the pods: the iptables run fails it in
// most runs and the ipvs run passes it in most, but either can go the other
// way (seen in CI), so the verdicts are logged, not asserted, until the lab
// ALB has a deterministic connection model.
func TestPodImbalanceScenario(t *testing.T) {
	labtest.Require(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, "--lab-name", runLabName(t), "../../scenarios/pod-imbalance.yaml")
	if res.code != report.ExitOK && res.code != report.ExitChecksFailed {
		t.Fatalf("exit %d, want 0 or %d\n%s", res.code, report.ExitChecksFailed, res.stderr)
	}
	for _, sub := range []string{"proxyMode-iptables", "proxyMode-ipvs"} {
		r, err := report.Load(filepath.Join(dir, sub))
		if err != nil {
			t.Fatalf("%s: %v\n%s", sub, err, res.stderr)
		}
		cv, ok := r.Summary.Value("backend_share_cv")
		t.Logf("%s (%s): exit %d, %d backends, share CV %.3f", r.Variant, r.Target.Details["proxyMode"], r.ExitCode, len(r.Summary.Backends), cv)
		if !ok || len(r.Summary.Backends) == 0 || len(r.Summary.Backends) > 8 || r.Summary.Successes != r.Summary.Requests || r.Summary.Requests == 0 {
			t.Errorf("%s: share CV measured %t, %d backends (want 1 to the 8 pods), %d of %d requests succeeded", sub, ok, len(r.Summary.Backends), r.Summary.Successes, r.Summary.Requests)
		}
		if !strings.HasPrefix(r.Target.Details["proxyMode"], strings.TrimPrefix(sub, "proxyMode-")) {
			t.Errorf("%s: the report's proxy mode is %q", sub, r.Target.Details["proxyMode"])
		}
	}
}
