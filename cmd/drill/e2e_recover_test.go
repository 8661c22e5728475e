package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/elbapi"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
)

// TestKilledRunRecoversFaults interrupts a run while its faults are applied
// and compares the cluster with how it was before: a run stopped by SIGINT
// recovers every fault itself; after SIGKILL, `drill recover RUN` does.
func TestKilledRunRecoversFaults(t *testing.T) {
	labtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The scenario names the lab, so it must live where drill looks for labs.
	l := labtest.Up(ctx, t, lab.Config{Name: "recov", Nodes: 1, StateRoot: lab.DefaultStateRoot})
	cl := labtest.Cluster(t, l)
	objs, err := cluster.ReadManifests([]string{"../../scenarios/manifests/blue-green.yaml", "../../scenarios/manifests/ingress-weighted.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := cl.Apply(ctx, "default", objs)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.WaitReady(ctx, applied); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "faults.yaml")
	faults := []string{
		"{at: 1s, scale: {deployment: web-green, replicas: 1, wait: false}}",
		"{at: 1s, selectorSwitch: {service: web, selector: {app: web, track: green}}}",
		"{at: 1s, blueGreen: {ingress: web, service: web-green}}",
		"{at: 1s, conntrackFlood: {podSelector: app=web, rate: 100, for: 5m}}",
		"{at: 1s, rollingUpdate: {deployment: web-blue}}",
		"{at: 1s, podKill: {selector: 'app=web,track=blue', count: 1, wait: false}}",
		"{at: 1s, deregistrationDelay: {ingress: web, delay: 7s}}",
		// A port nothing uses: the flush pods run, the traffic is left alone.
		"{at: 1s, conntrackFlush: {podSelector: app=web, port: 1, every: 5s, for: 5m}}",
	}
	body := fmt.Sprintf("apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: faults}\ntarget: {lab: {name: %s}}\nload: {rate: 5/s, duration: 2m}\nfaults:\n", l.Name())
	for _, f := range faults {
		body += "  - " + f + "\n"
	}
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	before := clusterState(ctx, t, cl)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(drillBin, "run", "--quiet", "--dir", dir, file)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("drill run's stderr:\n%s", stderr.String())
				}
			})
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitApplied(t, dir, len(faults), cmd)
			if mid := clusterState(ctx, t, cl); maps.Equal(mid, before) {
				t.Fatal("the faults changed nothing that the test compares")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if sig == syscall.SIGKILL {
				if maps.Equal(clusterState(ctx, t, cl), before) {
					t.Fatal("the cluster is as before although drill was killed before recovering")
				}
				res := drill(t, "recover", dir)
				if res.code != report.ExitOK {
					t.Fatalf("drill recover: exit %d\n%s%s", res.code, res.stdout, res.stderr)
				}
				// The lab ALB ran in the killed drill run, and its delay with it.
				if !strings.Contains(res.stdout, "deregistrationDelay ingress/web to 7s: the lab ALB that held it ended") {
					t.Errorf("drill recover does not say the lab ALB's delay ended with the run:\n%s", res.stdout)
				}
			} else if code := cmd.ProcessState.ExitCode(); code != report.ExitError {
				t.Errorf("interrupted run: exit %d, want %d", code, report.ExitError)
			}
			if after := clusterState(ctx, t, cl); !maps.Equal(after, before) {
				for _, k := range slices.Sorted(maps.Keys(before)) {
					if after[k] != before[k] {
						t.Errorf("%s: %s before, %s after", k, before[k], after[k])
					}
				}
				t.Fatal("the cluster is not as it was")
			}
			j, err := inject.LoadJournal(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range j.Entries {
				if e.Phase != inject.PhaseRecovered {
					t.Errorf("journal: %s is %s, want %s", e.Name, e.Phase, inject.PhaseRecovered)
				}
			}
		})
	}
}

// waitApplied waits until the run's journal shows n faults applied.
func waitApplied(t *testing.T, dir string, n int, cmd *exec.Cmd) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if j, err := inject.LoadJournal(dir); err == nil {
			applied := 0
			for _, e := range j.Entries {
				if e.Phase == inject.PhaseApplied {
					applied++
				}
			}
			if applied == n {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatalf("the run's journal never showed %d faults applied", n)
}

// clusterState is what the faults change, by object: Service selectors,
// Deployment replica counts, the Ingress's backends and annotations, flood
// and conntrack flush pods.
func clusterState(ctx context.Context, t *testing.T, cl *cluster.Cluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[key] = string(b)
	}
	svcs, err := cl.Client.CoreV1().Services("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		put("service/"+s.Name, s.Spec.Selector)
	}
	deps, err := cl.Client.AppsV1().Deployments("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		put("deployment/"+d.Name, d.Spec.Replicas)
	}
	ings, err := cl.Client.NetworkingV1().Ingresses("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ings.Items {
		put("ingress/"+i.Name, []any{i.Spec.DefaultBackend, i.Annotations})
	}
	floods, err := cl.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "drill.dev/flood=true"})
	if err != nil {
		t.Fatal(err)
	}
	put("flood pods", len(floods.Items))
	flushes, err := cl.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "drill.dev/conntrack-flush=true"})
	if err != nil {
		t.Fatal(err)
	}
	put("conntrack flush pods", len(flushes.Items))
	return out
}

// TestRecoverRestoresDeregistrationDelay is drill recover after a killed run
// whose deregistrationDelay fault changed a target group through an ELBv2
// API that outlives drill (AWS's on EKS; here a lab ALB's API served by the
// test): the journal says how to reach the API, and recover sets the
// group's journaled delay back.
func TestRecoverRestoresDeregistrationDelay(t *testing.T) {
	ctx := context.Background()
	lb, err := dataplane.Start(ctx, dataplane.Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	tg, err := lb.CreateTargetGroup(dataplane.TargetGroupConfig{Name: "web", DeregistrationDelay: 300 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	api, err := elbapi.Serve(ctx, "127.0.0.1:0", lb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	if err := tg.SetDeregistrationDelay(7 * time.Second); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(unreachableKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	fault := &inject.DeregistrationDelay{Ingress: "web", Delay: 7 * time.Second, Previous: map[string]time.Duration{tg.ARN(): 300 * time.Second}}
	journal := func(t *testing.T, lbAPI *inject.LoadBalancerAPI) string {
		dir := t.TempDir()
		j, err := inject.NewJournal(filepath.Join(dir, inject.JournalFile), inject.Access{Kubeconfig: kubeconfig, Namespace: "default", LoadBalancerAPI: lbAPI})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Record(-1, fault, inject.PhaseApplied, nil); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	recovered := func(t *testing.T, dir string) {
		j, err := inject.LoadJournal(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(j.Entries) != 1 || j.Entries[0].Phase != inject.PhaseRecovered {
			t.Errorf("journal entries %+v, want one %s", j.Entries, inject.PhaseRecovered)
		}
	}

	t.Run("API outlives drill", func(t *testing.T) {
		dir := journal(t, &inject.LoadBalancerAPI{Options: elbv2.Options{Endpoint: api.URL()}})
		res := drill(t, "recover", dir)
		if res.code != report.ExitOK {
			t.Fatalf("drill recover: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if got := tg.Config().DeregistrationDelay; got != 300*time.Second {
			t.Errorf("deregistration delay after recover: %s, want 300s", got)
		}
		recovered(t, dir)
	})
	t.Run("lab ALB ended with drill", func(t *testing.T) {
		if err := tg.SetDeregistrationDelay(7 * time.Second); err != nil {
			t.Fatal(err)
		}
		dir := journal(t, &inject.LoadBalancerAPI{Options: elbv2.Options{Endpoint: api.URL()}, Lab: true})
		res := drill(t, "recover", dir)
		if res.code != report.ExitOK || !strings.Contains(res.stdout, "nothing is left to restore") {
			t.Fatalf("drill recover: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if got := tg.Config().DeregistrationDelay; got != 7*time.Second {
			t.Errorf("recover called the lab ALB's API of a run that ended: delay %s", got)
		}
		recovered(t, dir)
	})
	t.Run("no API journaled", func(t *testing.T) {
		dir := journal(t, nil)
		res := drill(t, "recover", dir)
		if res.code != report.ExitUnrecovered || !strings.Contains(res.stderr, "undo it by hand") {
			t.Fatalf("drill recover: exit %d, want %d\n%s%s", res.code, report.ExitUnrecovered, res.stdout, res.stderr)
		}
	})
}

// unreachableKubeconfig names a cluster no test contacts.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`
