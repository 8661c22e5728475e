//go:build lab

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
)

// Manifests of the tests of pkg/cluster: a Deployment whose rollout stalls
// after 2 s, and a ConfigMap held by finalizer heldFinalizer.
const (
	stalledManifest = "../../pkg/cluster/testdata/stalled.yaml"
	heldManifest    = "../../pkg/cluster/testdata/held.yaml"
	heldFinalizer   = "drill.dev/test-hold"
)

// TestWaitsAreBounded runs drill against the lab's real API server (a kube
// target whose load goes to a loopback server): a rollout that stalls
// fails the setup with the Deployment's own message, a finalizer that
// holds the setup bounds its deletion by timeouts.delete (exit 5, naming
// it), and a second SIGINT stops waiting at once (README, Safety: "a
// second SIGINT/SIGTERM stops waiting at once and exits 5 naming what is
// left for drill recover"): exit 5, an error report naming what is left,
// and drill recover finishes the fault it left.
func TestWaitsAreBounded(t *testing.T) {
	labtest.Require(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "waits", Nodes: 1})
	cl := labtest.Cluster(t, l)
	cs := cl.Client
	var requests atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer backend.Close()
	dir := t.TempDir()
	writeScenario := func(name, manifest, rest string) string {
		m, err := filepath.Abs(manifest)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".yaml")
		body := fmt.Sprintf("apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: %s}\ntarget: {kube: {kubeconfig: %q, url: %q}}\nsetup: [%q]\n%s", name, l.Kubeconfig(), backend.URL, m, rest)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	release := func() {
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		if _, err := cs.CoreV1().ConfigMaps("default").Patch(ctx, "held", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("release the held ConfigMap: %v", err)
		}
		waitGone(ctx, t, cs, "held")
	}
	heldLeft := "ConfigMap default/held still exists, held by finalizers "

	t.Run("stalled rollout", func(t *testing.T) {
		file := writeScenario("stall", stalledManifest, "load: {rate: 10/s, duration: 5s}\ntimeouts: {setup: 5m}\n")
		runDir := filepath.Join(dir, "stall-run")
		res := drill(t, "run", "--quiet", "--dir", runDir, file)
		if res.code != report.ExitError {
			t.Fatalf("exit %d, want %d\n%s", res.code, report.ExitError, res.stderr)
		}
		for _, want := range []string{"deployment default/stall did not roll out", "rollout stalled (ProgressDeadlineExceeded): ", `has timed out progressing`} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
			}
		}
		r, err := report.Load(runDir)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != report.StatusError || r.ExitCode != report.ExitError || !strings.Contains(r.IncompleteReason, "has timed out progressing") {
			t.Errorf("report: status %s, exit %d, reason %q; want error, 1 and the Deployment's condition message", r.Status, r.ExitCode, r.IncompleteReason)
		}
		if n := requests.Load(); n != 0 {
			t.Errorf("a failed setup sent %d requests", n)
		}
		if _, err := cs.AppsV1().Deployments("default").Get(ctx, "stall", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the failed setup's Deployment is still there: %v", err)
		}
	})

	t.Run("finalizer bounded by timeouts.delete", func(t *testing.T) {
		defer release()
		file := writeScenario("held", heldManifest, "load: {rate: 10/s, duration: 1s}\ntimeouts: {delete: 3s}\n")
		runDir := filepath.Join(dir, "held-run")
		res := drill(t, "run", "--quiet", "--dir", runDir, file)
		if res.code != report.ExitUnrecovered || !strings.Contains(res.stderr, heldLeft) || !strings.Contains(res.stderr, heldFinalizer) ||
			!strings.Contains(res.stderr, "timeouts.delete (3s) ran out") {
			t.Fatalf("exit %d, want %d naming the held ConfigMap, its finalizer and the bound\n%s", res.code, report.ExitUnrecovered, res.stderr)
		}
		r, err := report.Load(runDir)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != report.StatusError || r.ExitCode != report.ExitUnrecovered || !strings.Contains(r.IncompleteReason, heldLeft) {
			t.Errorf("report: status %s, exit %d, reason %q; want error, 5 and the held ConfigMap named", r.Status, r.ExitCode, r.IncompleteReason)
		}
	})

	t.Run("second SIGINT", func(t *testing.T) {
		defer release()
		// stuck never becomes ready: scaling it back up, drill's
		// recovery of the fault waits for a rollout that never ends.
		objs, err := cluster.ReadManifests([]string{"testdata/stuck.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		stuck, err := cl.Apply(ctx, "default", objs)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := cl.Delete(ctx, stuck); err != nil {
				t.Error(err)
			}
		}()
		file := writeScenario("insist", heldManifest, "load: {rate: 10/s, duration: 5m}\n"+
			"faults: [{at: 1s, scale: {deployment: stuck, replicas: 0}}]\ntimeouts: {recover: 1h, delete: 1h}\n")
		runDir := filepath.Join(dir, "insist-run")
		cmd := exec.Command(drillBin, "run", "--quiet", "--allow-any-namespace", "--dir", runDir, file)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		defer func() {
			select {
			case <-exited:
			default:
				_ = cmd.Process.Kill()
				<-exited
			}
		}()
		until(t, exited, "the fault applied", func() bool {
			j, err := inject.LoadJournal(runDir)
			return err == nil && len(j.Entries) == 1 && j.Entries[0].Phase == inject.PhaseApplied && requests.Load() > 0
		})
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		// drill now recovers the fault: it scales stuck back to 1 and
		// waits for it to roll out, for up to an hour.
		until(t, exited, "drill recovering the fault", func() bool {
			d, err := cs.AppsV1().Deployments("default").Get(ctx, "stuck", metav1.GetOptions{})
			return err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == 1
		})
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case <-exited:
		case <-time.After(time.Minute):
			t.Fatalf("drill still waits a minute after the second SIGINT\n%s", stderr.String())
		}
		code := cmd.ProcessState.ExitCode()
		out := stderr.String()
		if code != report.ExitUnrecovered {
			t.Fatalf("exit %d, want %d\n%s", code, report.ExitUnrecovered, out)
		}
		journal := filepath.Join(runDir, inject.JournalFile)
		for _, want := range []string{"interrupted again", "recover scale deployment/stuck to 0", "cut short by a second interrupt",
			"drill recover " + journal + " retries", heldLeft + heldFinalizer, "remove what is left by hand"} {
			if !strings.Contains(out, want) {
				t.Errorf("stderr lacks %q:\n%s", want, out)
			}
		}
		r, err := report.Load(runDir)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != report.StatusError || r.ExitCode != report.ExitUnrecovered || !r.Incomplete ||
			!strings.Contains(r.IncompleteReason, "scale deployment/stuck") || !strings.Contains(r.IncompleteReason, heldLeft) {
			t.Errorf("report: status %s, exit %d, reason %q; want an incomplete error, 5, naming the fault and the ConfigMap left", r.Status, r.ExitCode, r.IncompleteReason)
		}

		// What was left is drill recover's: once stuck can become ready,
		// it finishes the recovery; then nothing is left.
		patch := []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"echo","readinessProbe":{"tcpSocket":{"port":8080}}}]}}}}`)
		if _, err := cs.AppsV1().Deployments("default").Patch(ctx, "stuck", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		res := drill(t, "recover", runDir)
		if res.code != report.ExitOK || !strings.Contains(res.stdout, "recovered scale deployment/stuck to 0") {
			t.Fatalf("drill recover: exit %d, want 0 recovering the fault left\n%s%s", res.code, res.stdout, res.stderr)
		}
		if res := drill(t, "recover", runDir); res.code != report.ExitOK || !strings.Contains(res.stdout, "nothing to recover") {
			t.Errorf("drill recover again: exit %d, want 0 with nothing to recover\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
}

// until polls cond every 100ms for up to 3 minutes, failing when the
// process behind exited ends first.
func until(t *testing.T, exited <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("drill exited before %s", what)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sign of %s after 3 minutes", what)
		}
	}
}

// waitGone waits until ConfigMap default/name is gone.
func waitGone(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("ConfigMap %s still there", name)
}
