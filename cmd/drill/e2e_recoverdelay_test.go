package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/elbapi"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
)

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
