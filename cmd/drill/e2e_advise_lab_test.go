//go:build lab

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/deploy"
	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
)

// TestAdviseLiveInLab reads a 2-node lab's conntrack tables with drill
// advise --live: without drill's agent it says how to deploy it (exit 1);
// with it, every node is read (the kernel's nf_conntrack_max, the node's
// own count) and an idle lab has headroom (exit 0, no finding).
func TestAdviseLiveInLab(t *testing.T) {
	labtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "adv", Nodes: 2})

	res := drill(t, "advise", "--live", "--kubeconfig", l.Kubeconfig())
	if res.code != report.ExitError || !strings.Contains(res.stderr, "deploy/agent.yaml") {
		t.Fatalf("without the agent: exit %d, stderr %q; want 1 naming deploy/agent.yaml", res.code, res.stderr)
	}
	if res = drill(t, "advise", "--kubeconfig", l.Kubeconfig(), "-f", noPreStopManifest); res.code != report.ExitUsage || !strings.Contains(res.stderr, "add --live") {
		t.Fatalf("--kubeconfig without --live: exit %d, stderr %q", res.code, res.stderr)
	}

	cl := labtest.Cluster(t, l)
	objs, err := deploy.AgentObjects("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Apply(ctx, deploy.AgentNamespace, objs); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	agents, err := sample.NewNodeSampler(cl.Client, sample.AgentConfig{}).WaitAgents(wctx)
	wcancel()
	if err != nil || len(agents) != 2 {
		t.Fatalf("agents %v: %v", agents, err)
	}

	nodes, err := advise.ReadNodes(ctx, cl.Client)
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes %+v: %v", nodes, err)
	}
	hostMax, err := lab.HostConntrackMax()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		t.Logf("%s: %d of %d entries, TIME_WAIT %v", n.Node, n.Count, n.Max, n.TimeWait)
		if n.Max != int64(hostMax) || n.Count <= 0 || n.Count >= n.Max || n.TimeWait <= 0 {
			t.Errorf("%s: %+v, want the host's nf_conntrack_max %d, a count and the TIME_WAIT timeout", n.Node, n, hostMax)
		}
	}

	res = drill(t, "advise", "--live", "--kubeconfig", l.Kubeconfig(), "-f", noPreStopManifest, "-o", "json")
	var out struct {
		Findings []advise.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("exit %d, %v: %s %s", res.code, err, res.stdout, res.stderr)
	}
	var rules []string
	for _, f := range out.Findings {
		rules = append(rules, f.Rule)
	}
	if res.code != report.ExitChecksFailed || strings.Contains(strings.Join(rules, " "), "conntrack-headroom") || !strings.Contains(strings.Join(rules, " "), "prestop-missing") {
		t.Errorf("live and manifests: exit %d, rules %v, stderr %q; want 3 for prestop-missing and no conntrack-headroom on an idle lab", res.code, rules, res.stderr)
	}
}
