//go:build lab

package run_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtarget"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
	"github.com/drillkit/drill/pkg/scenario"
)

// TestKubeTargetFaultsAgainstRealCluster drives a kube target (the lab's real
// API server) with setup manifests and two faults, and checks that the
// timeline, the journal and the clean-up are what happened in the cluster.
func TestKubeTargetFaultsAgainstRealCluster(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "runkube", Nodes: 1})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer backend.Close()

	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	// A kube target's faults act only in namespaces that opted in.
	optIn := []byte(`{"metadata":{"labels":{"` + inject.OptInLabel + `":"` + inject.OptInValue + `"}}}`)
	dir := t.TempDir()
	manifest, _ := filepath.Abs("testdata/web.yaml")
	file := filepath.Join(dir, "s.yaml")
	body := fmt.Sprintf(`apiVersion: drill/v1
kind: Scenario
metadata: {name: kube-faults}
target: {kube: {kubeconfig: %q, namespace: default, url: %q}}
setup: [%q]
load: {rate: 20/s, duration: 30s}
faults:
  - {at: 1s, rollingUpdate: {deployment: web}}
  - {at: 2s, scale: {deployment: web, replicas: 1}}
checks: ["success_rate == 100%%"]
`, l.Kubeconfig(), backend.URL, manifest)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := run.Prepare(file, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Run(ctx, plan, run.Options{Dir: filepath.Join(dir, "refused"), Version: "test"}); !errors.As(err, new(*inject.NotOptedInError)) {
		t.Fatalf("run in a namespace without %s: %v, want it refused before any load", inject.OptInLabel, err)
	}
	refused, err := report.Load(filepath.Join(dir, "refused", "report.json"))
	if err != nil {
		t.Fatalf("a refused run must leave its error report: %v", err)
	}
	if refused.Status != report.StatusError || refused.Summary.Requests != 0 || !strings.Contains(refused.IncompleteReason, inject.OptInLabel) {
		t.Fatalf("refused run's report: status %s, %d requests, reason %q; want error, no requests, the opt-in label", refused.Status, refused.Summary.Requests, refused.IncompleteReason)
	}
	if _, err := cs.CoreV1().Namespaces().Patch(ctx, "default", types.MergePatchType, optIn, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	r, err := run.Run(ctx, plan, run.Options{Dir: runDir, Version: "test"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if r.Status != report.StatusPassed {
		t.Fatalf("status %s (%s), want passed", r.Status, r.IncompleteReason)
	}
	messages := map[report.EventKind][]string{}
	for _, e := range r.Events {
		messages[e.Kind] = append(messages[e.Kind], e.Message)
	}
	faults := strings.Join(messages[report.EventFault], "\n")
	for _, want := range []string{"rolling update of deployment default/web completed", "scaled from 2 to 1", "scaled back to 2"} {
		if !strings.Contains(faults, want) {
			t.Errorf("fault events lack %q:\n%s", want, faults)
		}
	}
	pods := strings.Join(messages[report.EventPod], "\n")
	for _, want := range []string{" created", " ready on node-1", " terminating on node-1", " deleted"} {
		if !strings.Contains(pods, want) {
			t.Errorf("pod events lack %q:\n%s", want, pods)
		}
	}
	j, err := inject.LoadJournal(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Entries) != 2 || j.Entries[0].Phase != inject.PhaseRecovered || j.Entries[1].Phase != inject.PhaseRecovered {
		t.Fatalf("journal %+v: want both faults recovered", j.Entries)
	}
	if _, err := cs.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("setup Deployment still there after the run: %v", err)
	}
}

// TestLabTargetDeregistrationDelay runs a scenario on a lab named in the
// scenario: drill starts the lab ALB, applies the setup, changes the
// deregistration delay through the ELBv2 API as a scenario variable,
// scales the workload down so that a target drains, and restores the delay.
func TestLabTargetDeregistrationDelay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The scenario names the lab, so it must live where drill looks for labs.
	l := labtest.Up(ctx, t, lab.Config{Name: "runalb", Nodes: 2, StateRoot: lab.DefaultStateRoot})
	manifest, _ := filepath.Abs("../../scenarios/manifests/web-prestop.yaml")
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	body := fmt.Sprintf(`apiVersion: drill/v1
kind: Scenario
metadata: {name: dereg}
target: {lab: {name: %s}}
setup: [%q]
load: {rate: 20/s, duration: 20s, timeout: 15s}
faults:
  - {at: 0s, deregistrationDelay: {ingress: web, delay: 30s}}
  - {at: 2s, scale: {deployment: web, replicas: 2, wait: false}}
sample: {loadBalancer: true}
checks: ["success_rate == 100%%"]
`, l.Name(), manifest)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := run.Prepare(file, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.Run(ctx, plan, run.Options{Dir: filepath.Join(dir, "run"), Version: "test", Lab: labtarget.Target{}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if r.Status != report.StatusPassed || r.Target.Kind != report.TargetLab {
		t.Fatalf("status %s (%s), target %+v: want a passed lab run", r.Status, r.IncompleteReason, r.Target)
	}
	var all []string
	for _, e := range r.Events {
		all = append(all, e.Message)
	}
	events := strings.Join(all, "\n")
	for _, want := range []string{"deregistration delay 10s → 30s", "healthy → draining", "deregistration delay restored to 10s"} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %q:\n%s", want, events)
		}
	}
}

// TestKubeTargetSamplesLoadBalancer runs a kube target (the lab's API server)
// behind the lab ALB run on its own, reached like an ALB on AWS: through
// aws-sdk-go-v2 with the standard configuration (here the environment:
// region, credentials, and AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 in
// place of AWS's endpoint). drill finds the Ingress's target groups by tag,
// waits for a healthy target, and puts target health on the timeline.
func TestKubeTargetSamplesLoadBalancer(t *testing.T) {
	// Not parallel: it points the AWS SDK at the lab ALB through the
	// environment (t.Setenv).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "runkubelb", Nodes: 1})
	a, err := alb.StartLab(ctx, l, alb.LabConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": a.APIURL(), "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
	} {
		t.Setenv(k, v)
	}
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	optIn := []byte(`{"metadata":{"labels":{"` + inject.OptInLabel + `":"` + inject.OptInValue + `"}}}`)
	if _, err := cs.CoreV1().Namespaces().Patch(ctx, "default", types.MergePatchType, optIn, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	manifest, _ := filepath.Abs("../../scenarios/manifests/web-prestop.yaml")
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	body := fmt.Sprintf(`apiVersion: drill/v1
kind: Scenario
metadata: {name: kube-lb}
target: {kube: {kubeconfig: %q, namespace: default, url: %q}}
setup: [%q]
load: {rate: 20/s, duration: 20s, timeout: 15s}
faults:
  - {at: 2s, scale: {deployment: web, replicas: 2, wait: false}}
sample: {loadBalancer: true, nodes: []}
`, l.Kubeconfig(), a.URL(), manifest)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := run.Prepare(file, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := run.Run(ctx, plan, run.Options{Dir: filepath.Join(dir, "run"), Version: "test"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var healthy, draining bool
	for _, e := range r.Events {
		if e.Kind == report.EventTarget {
			healthy = healthy || strings.Contains(e.Message, "→ healthy")
			draining = draining || strings.Contains(e.Message, "→ draining")
		}
	}
	if !healthy || !draining {
		t.Fatalf("target events: a healthy target %v, a draining one %v; want both", healthy, draining)
	}
	if r.Summary.Requests == 0 || r.Summary.Successes != r.Summary.Requests {
		t.Fatalf("%d of %d requests through the ALB succeeded", r.Summary.Successes, r.Summary.Requests)
	}
}
