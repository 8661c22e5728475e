//go:build lab

package sample_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/drillkit/drill/deploy"
	"github.com/drillkit/drill/pkg/agent"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/sample"
)

// requireAgentCommand ends the test when the drill binary the lab runs
// has no agent command.
func requireAgentCommand(t *testing.T, drill string) {
	t.Helper()
	if err := exec.Command(drill, "agent", "-h").Run(); err != nil {
		msg := fmt.Sprintf("%s has no agent command (%v): cmd/drill must dispatch \"agent\" to agentCmd", drill, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// applyAgentManifest installs deploy/agent.yaml as shipped, with
// server-side apply, as drill does on the lab.
func applyAgentManifest(t *testing.T, ctx context.Context, l *lab.Lab) {
	t.Helper()
	cl := labtest.Cluster(t, l)
	objs, err := deploy.AgentObjects("")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := cl.Apply(ctx, deploy.AgentNamespace, objs)
	if err != nil {
		t.Fatalf("apply the agent manifest: %v (applied %v)", err, applied)
	}
}

func conntrackCount(t *testing.T, netns string) int64 {
	t.Helper()
	out, err := exec.Command("nsenter", "--net=/run/netns/"+netns, "--", "conntrack", "-C").Output()
	if err != nil {
		t.Fatalf("conntrack -C in %s: %v", netns, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatalf("conntrack -C: %q", out)
	}
	return n
}

// TestSamplersInLab runs the agent DaemonSet of deploy/agent.yaml on a
// 2-node lab and reads it through the API server's pod proxy; and watches a
// Service's endpoints through a scale down.
func TestSamplersInLab(t *testing.T) {
	drill, _ := labtest.Require(t)
	requireAgentCommand(t, drill)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "smp", Nodes: 2})
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	applied := time.Now()
	applyAgentManifest(t, ctx, l)
	s := sample.NewNodeSampler(cs, sample.AgentConfig{})
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	agents, err := s.WaitAgents(wctx)
	wcancel()
	if err != nil || len(agents) != 2 {
		t.Fatalf("agents %v: %v", agents, err)
	}
	t.Logf("agents ready on 2 nodes %v after the manifest was applied", time.Since(applied).Round(10*time.Millisecond))
	deadline := time.Now().Add(time.Minute)
	hostMax, err := lab.HostConntrackMax()
	if err != nil {
		t.Fatal(err)
	}

	// kube-proxy publishes its sync metrics after its first sync.
	for {
		round, err := s.Sample(ctx)
		if err == nil && len(round) == 2 && round[0].State != nil && round[0].State.KubeProxy.Available &&
			round[1].State != nil && round[1].State.KubeProxy.Available {
			break
		}
		if time.Now().After(deadline) {
			for _, ns := range round {
				if ns.State != nil {
					t.Logf("%s: kube-proxy %+v", ns.Node, ns.State.KubeProxy)
				}
			}
			t.Fatalf("kube-proxy sync never seen: %v %+v", err, round)
		}
		time.Sleep(300 * time.Millisecond)
	}

	t.Run("one sample per node through the pod proxy", func(t *testing.T) {
		start := time.Now()
		round, err := s.Sample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round of %d nodes in %v", len(round), time.Since(start).Round(time.Millisecond))
		var nodes []string
		for _, ns := range round {
			nodes = append(nodes, ns.Node)
			if ns.State == nil {
				t.Fatalf("%s: %s", ns.Node, ns.Err)
			}
			st := ns.State
			if st.Node != ns.Node {
				t.Errorf("agent on %s names itself %q", ns.Node, st.Node)
			}
			if c := st.Conntrack; !c.Available || c.Max != int64(hostMax) || c.Stats == nil || c.Count <= 0 {
				t.Errorf("%s conntrack: %+v", ns.Node, c)
			}
			if ipt := st.IPTables; !ipt.Available || ipt.KubeChains == 0 || ipt.Services["default/kubernetes:https"] != 1 {
				t.Errorf("%s iptables: %+v", ns.Node, ipt)
			}
			if kp := st.KubeProxy; !kp.Available || kp.Mode != "iptables" || kp.Syncs == 0 {
				t.Errorf("%s kube-proxy: %+v", ns.Node, kp)
			}
			if v := st.IPVS; v.Available || !strings.Contains(v.Reason, "no ip_vs") {
				t.Errorf("%s ipvs: %+v, want not available (kernel has no ip_vs)", ns.Node, v)
			}
			t.Logf("%s (collected in %.3fs)", ns.Summary(), st.CollectSeconds)
		}
		if !slices.Equal(nodes, []string{"node-1", "node-2"}) {
			t.Errorf("nodes %v", nodes)
		}
	})

	t.Run("count agrees with conntrack -C on the node", func(t *testing.T) {
		s1 := sample.NewNodeSampler(cs, sample.AgentConfig{Nodes: []string{"node-1"}, Parts: []string{agent.PartConntrack}})
		netns := l.Plan().Nodes[0].Netns
		var last string
		for attempt := 0; attempt < 5; attempt++ {
			before := conntrackCount(t, netns)
			round, err := s1.Sample(ctx)
			after := conntrackCount(t, netns)
			if err != nil || len(round) != 1 || round[0].State == nil {
				t.Fatalf("sample: %v %+v", err, round)
			}
			st := round[0].State
			if st.IPTables.Available || st.IPTables.Reason != "not requested" {
				t.Errorf("iptables collected without being asked: %+v", st.IPTables)
			}
			got := st.Conntrack.Count
			if got >= min(before, after) && got <= max(before, after) {
				return
			}
			last = fmt.Sprintf("sampled %d, conntrack -C %d and %d", got, before, after)
		}
		t.Fatal(last)
	})

	t.Run("rounds feed the derived values", func(t *testing.T) {
		d := sample.NewDatapath()
		for range 3 {
			round, err := s.Sample(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ns := range round {
				d.Add(ns)
			}
		}
		v := d.Values()
		if v[sample.MetricConntrackDrops] != 0 {
			t.Errorf("%v conntrack drops in an idle lab", v[sample.MetricConntrackDrops])
		}
		if f := v[sample.MetricConntrackMaxFill]; f <= 0 || f >= 1 {
			t.Errorf("max fill %v", f)
		}
		if n := d.Nodes(); len(n) != 2 {
			t.Errorf("nodes %+v", n)
		}
	})

	t.Run("background sampling stops and leaves final values", func(t *testing.T) {
		d := sample.NewDatapath()
		var mu sync.Mutex
		var notes []string
		p := s.Every(100*time.Millisecond, d)
		p.SetEvents(func(e sample.Event) {
			mu.Lock()
			notes = append(notes, e.Source+" "+e.Message)
			mu.Unlock()
		})
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
		if n := d.Nodes(); len(n) != 2 {
			t.Errorf("nodes %+v", n)
		}
		if _, ok := d.Values()[sample.MetricConntrackMaxFill]; !ok {
			t.Error("no conntrack_max_fill")
		}
		mu.Lock()
		defer mu.Unlock()
		// The first sample of each node notes its conntrack timeouts;
		// nothing else happens on an idle lab.
		timeouts := map[string]int{}
		for _, n := range notes {
			node, msg, _ := strings.Cut(n, " ")
			if !strings.HasPrefix(msg, node+": conntrack timeouts established ") {
				t.Errorf("note on an idle lab: %q", n)
			}
			timeouts[node]++
		}
		if len(timeouts) != 2 || timeouts["node-1"] != 1 || timeouts["node-2"] != 1 {
			t.Errorf("conntrack timeouts notes per node %v, want one for each of the 2 nodes", timeouts)
		}
		// A sampler that finds no agent does not start, and says how to
		// deploy one.
		err := sample.NewNodeSampler(cs, sample.AgentConfig{Selector: "app=none"}).Every(100*time.Millisecond, sample.NewDatapath()).Start(ctx)
		if err == nil || !strings.Contains(err.Error(), "deploy/agent.yaml") {
			t.Errorf("start without agents: %v", err)
		}
	})

	t.Run("no agent is an error saying how to deploy it", func(t *testing.T) {
		_, err := sample.NewNodeSampler(cs, sample.AgentConfig{Selector: "app=none"}).Sample(ctx)
		if err == nil || !strings.Contains(err.Error(), "deploy/agent.yaml") {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("waiting for an agent on a node without one names the node", func(t *testing.T) {
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
		defer wcancel()
		_, err := sample.NewNodeSampler(cs, sample.AgentConfig{Nodes: []string{"node-1", "node-9"}}).WaitAgents(wctx)
		if err == nil || !strings.Contains(err.Error(), "no ready drill agent on node-9") {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("drill's RBAC reads the agents and faults only opted-in namespaces", func(t *testing.T) {
		cl := labtest.Cluster(t, l)
		var objs []*unstructured.Unstructured
		for _, f := range []string{"rbac.yaml", "rbac-target.yaml"} {
			data, err := os.ReadFile(filepath.Join("..", "..", "deploy", f))
			if err != nil {
				t.Fatal(err)
			}
			tmp := filepath.Join(t.TempDir(), f)
			if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(string(data), "TARGET_NAMESPACE", "default")), 0o600); err != nil {
				t.Fatal(err)
			}
			o, err := cluster.ReadManifests([]string{tmp})
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, o...)
		}
		// An operator: a member of drill:operators and nothing else.
		op, err := l.RESTConfig()
		if err != nil {
			t.Fatal(err)
		}
		op.Impersonate = rest.ImpersonationConfig{UserName: "operator", Groups: []string{"drill:operators", "system:authenticated"}}
		ocs, err := kubernetes.NewForConfig(op)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sample.NewNodeSampler(ocs, sample.AgentConfig{}).Sample(ctx); err == nil || !strings.Contains(err.Error(), "forbidden") {
			t.Fatalf("an operator read the agents before drill's RBAC was applied: %v", err)
		}
		if _, err := cl.Apply(ctx, "default", objs); err != nil {
			t.Fatal(err)
		}
		var round []sample.NodeSample
		deadline := time.Now().Add(30 * time.Second) // RBAC objects take effect within moments
		for {
			round, err = sample.NewNodeSampler(ocs, sample.AgentConfig{Parts: []string{agent.PartConntrack}}).Sample(ctx)
			if err == nil && len(round) == 2 && round[0].State != nil && round[1].State != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("as an operator: %v %+v", err, round)
			}
			time.Sleep(300 * time.Millisecond)
		}
		for _, c := range []struct {
			ns, group, resource, sub, verb string
			allowed                        bool
		}{
			{"", "", "namespaces", "", "get", true},
			{"", "", "nodes", "", "list", true},
			{"drill-system", "", "pods", "proxy", "get", true},
			{"default", "apps", "deployments", "", "patch", true},
			{"default", "apps", "deployments", "scale", "update", true},
			{"default", "", "services", "", "patch", true},
			{"default", "", "pods", "", "delete", true},
			{"default", "networking.k8s.io", "ingresses", "", "patch", true},
			{"default", "discovery.k8s.io", "endpointslices", "", "watch", true},
			{"default", "chaos-mesh.org", "podchaos", "", "create", true},
			{"kube-system", "apps", "deployments", "", "patch", false},
			{"kube-system", "", "pods", "", "delete", false},
			{"drill-system", "apps", "daemonsets", "", "patch", false},
			{"default", "", "secrets", "", "get", false},
			{"", "", "nodes", "", "patch", false},
			{"default", "", "pods", "exec", "create", false},
		} {
			r, err := ocs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: c.ns, Group: c.group, Resource: c.resource, Subresource: c.sub, Verb: c.verb}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status.Allowed != c.allowed {
				t.Errorf("%s %s/%s %s in %q: allowed %v, want %v", c.verb, c.resource, c.sub, c.group, c.ns, r.Status.Allowed, c.allowed)
			}
		}
	})

	t.Run("endpoints through a scale down", func(t *testing.T) {
		var mu sync.Mutex
		var seen []sample.Endpoints
		wctx, wcancel := context.WithCancel(ctx)
		defer wcancel()
		if err := sample.WatchEndpoints(wctx, cs, "default", func(e sample.Endpoints) {
			mu.Lock()
			seen = append(seen, e)
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		initial := slices.Clone(seen)
		mu.Unlock()
		if len(initial) != 1 || initial[0].Service != "kubernetes" || !initial[0].Initial || len(initial[0].Ready) != 1 {
			t.Fatalf("initial endpoints %+v, want the kubernetes Service's", initial)
		}
		createEcho(t, ctx, cs, 3)
		// waitFor waits for a change of echo after index from that
		// satisfies ok and returns its index.
		waitFor := func(what string, from int, ok func(e sample.Endpoints) bool) int {
			t.Helper()
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				mu.Lock()
				for i := from; i < len(seen); i++ {
					if seen[i].Service == "echo" && ok(seen[i]) {
						mu.Unlock()
						return i
					}
				}
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("no %s after change %d in %+v", what, from, seen)
			return 0
		}
		i := waitFor("3 ready endpoints", 0, func(e sample.Endpoints) bool { return len(e.Ready) == 3 && !e.Initial })
		patch := []byte(`{"spec":{"replicas":1}}`)
		if _, err := cs.AppsV1().Deployments("default").Patch(ctx, "echo", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		i = waitFor("2 terminating endpoints", i+1, func(e sample.Endpoints) bool { return len(e.Terminating) == 2 && len(e.Ready) == 1 })
		waitFor("1 ready endpoint and none terminating", i+1, func(e sample.Endpoints) bool {
			return len(e.Ready) == 1 && len(e.Terminating) == 0 && len(e.NotReady) == 0
		})
		mu.Lock()
		for _, e := range seen {
			t.Log(e.Message())
		}
		mu.Unlock()
	})
}

// createEcho runs n echo pods behind a Service; a terminating pod keeps
// serving for 2 s (preStop), so the terminating state is observable.
func createEcho(t *testing.T, ctx context.Context, cs kubernetes.Interface, n int32) {
	t.Helper()
	labels := map[string]string{"app": "echo"}
	grace := int64(10)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &grace,
					Containers: []corev1.Container{{
						Name: "echo", Image: lab.DrillLatestImage, Args: []string{"echo", "--listen", ":8080"},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
							PeriodSeconds: 1,
						},
						Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 2}}},
					}},
				},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
