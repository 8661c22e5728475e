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

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
)

// stalledDeployment never becomes ready: its readiness probe asks a port
// nothing listens on, and its progress deadline is 2 seconds.
const stalledDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: stall}
spec:
  replicas: 1
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: stall}}
  template:
    metadata: {labels: {app: stall}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: echo
          image: ghcr.io/drillkit/drill:latest
          command: [drill, echo, --listen, ":8080"]
          readinessProbe:
            tcpSocket: {port: 9}
            periodSeconds: 1
`

// heldFinalizer keeps heldConfigMap from going away until the test removes it.
const heldFinalizer = "drill.dev/test-hold"

const heldConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers: [` + heldFinalizer + `]
data: {a: b}
`

// TestWaitsAreBounded runs drill against the lab's real API server (a kube
// target whose load goes to a loopback server): a rollout that stalls
// fails the setup with the Deployment's own message, a finalizer that
// holds the setup bounds its deletion by timeouts.delete (exit 5, naming
// it), and a second SIGINT stops the same wait at once.
func TestWaitsAreBounded(t *testing.T) {
	labtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "waits", Nodes: 1})
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer backend.Close()
	dir := t.TempDir()
	writeScenario := func(name, manifest, rest string) string {
		m := filepath.Join(dir, name+"-setup.yaml")
		if err := os.WriteFile(m, []byte(manifest), 0o644); err != nil {
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

	t.Run("stalled rollout", func(t *testing.T) {
		file := writeScenario("stall", stalledDeployment, "load: {rate: 10/s, duration: 5s}\ntimeouts: {setup: 5m}\n")
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
		if r, err := report.Load(runDir); err != nil || r.Status != report.StatusError || !strings.Contains(r.IncompleteReason, "ProgressDeadlineExceeded") {
			t.Errorf("report: %v; want status error with the stalled rollout as the reason", err)
		}
		if requests.Load() != 0 {
			t.Errorf("a failed setup sent %d requests", requests.Load())
		}
		if _, err := cs.AppsV1().Deployments("default").Get(ctx, "stall", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the failed setup's Deployment is still there: %v", err)
		}
	})

	t.Run("finalizer bounded by timeouts.delete", func(t *testing.T) {
		defer release()
		file := writeScenario("held", heldConfigMap, "load: {rate: 10/s, duration: 1s}\ntimeouts: {delete: 3s}\n")
		runDir := filepath.Join(dir, "held-run")
		res := drill(t, "run", "--quiet", "--dir", runDir, file)
		want := "ConfigMap default/held still exists, held by finalizers " + heldFinalizer
		if res.code != report.ExitUnrecovered || !strings.Contains(res.stderr, want) {
			t.Fatalf("exit %d, want %d with %q\n%s", res.code, report.ExitUnrecovered, want, res.stderr)
		}
		if r, err := report.Load(runDir); err != nil || r.ExitCode != report.ExitUnrecovered || !strings.Contains(r.IncompleteReason, want) {
			t.Errorf("report: %v; want exit code 5 and the held ConfigMap named", err)
		}
	})

	t.Run("second SIGINT", func(t *testing.T) {
		defer release()
		file := writeScenario("insist", heldConfigMap, "load: {rate: 10/s, duration: 5m}\ntimeouts: {delete: 1h}\n")
		runDir := filepath.Join(dir, "insist-run")
		cmd := exec.Command(drillBin, "run", "--quiet", "--dir", runDir, file)
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
		until(t, exited, "the load started", func() bool { return requests.Load() > 0 })
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		// drill now deletes its setup and waits on the finalizer, for up
		// to an hour.
		until(t, exited, "drill deleting its setup", func() bool {
			cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "held", metav1.GetOptions{})
			return err == nil && cm.DeletionTimestamp != nil
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
		for _, want := range []string{"interrupted again", "ConfigMap default/held still exists, held by finalizers " + heldFinalizer, "remove what is left by hand"} {
			if !strings.Contains(out, want) {
				t.Errorf("stderr lacks %q:\n%s", want, out)
			}
		}
		if r, err := report.Load(runDir); err != nil || r.ExitCode != report.ExitUnrecovered {
			t.Errorf("report: %v; want exit code 5", err)
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
