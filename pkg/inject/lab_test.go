//go:build lab

package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/drillkit/drill/pkg/awslb"
	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/conntrack"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/netns"
)

const (
	labNS    = "faults" // opted in
	closedNS = "closed" // not opted in
)

// TestFaultsOnLab applies and recovers every fault against the lab's real
// API server and kubelets, and checks that the cluster ends as it was, that
// the namespace opt-in and the dry run hold, and that Recover works from the
// journal alone, twice.
func TestFaultsOnLab(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "faults", Nodes: 1})
	cl := labtest.Cluster(t, l)
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: labNS, Labels: map[string]string{OptInLabel: OptInValue}}},
		{ObjectMeta: metav1.ObjectMeta{Name: closedNS}},
	} {
		if _, err := cl.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := cluster.ReadManifests([]string{"testdata/lab.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{labNS, closedNS} {
		var copies []*unstructured.Unstructured
		for _, o := range objs {
			copies = append(copies, o.DeepCopy())
		}
		applied, err := cl.Apply(ctx, ns, copies)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.WaitReady(ctx, applied); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, cl: cl, lab: l}

	t.Run("optIn", h.optIn)
	t.Run("dryRun", h.dryRun)
	t.Run("podKill", h.podKill)
	t.Run("selectorSwitch", h.selectorSwitch)
	t.Run("blueGreen", h.blueGreen)
	t.Run("chaosMesh", h.chaosMesh)
	t.Run("conntrackFlood", h.conntrackFlood)
	t.Run("conntrackFlush", h.conntrackFlush)
	t.Run("recoverAfterDelete", h.recoverAfterDelete)
	t.Run("kubeProxyMode", h.kubeProxyMode)
}

type harness struct {
	t   *testing.T
	cl  *cluster.Cluster
	lab *lab.Lab
}

// notes collects what faults note.
type notes struct {
	mu  sync.Mutex
	all []string
}

func (n *notes) add(t *testing.T) func(string, string) {
	return func(source, msg string) {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.all = append(n.all, source+": "+msg)
		t.Logf("%s: %s", source, msg)
	}
}

func (n *notes) text() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.all, "\n")
}

func (h *harness) env(t *testing.T, n *notes) *Env {
	return &Env{Cluster: h.cl, Namespace: labNS, Note: n.add(t), AllowClusterChanges: true}
}

// applyRecover applies f with a journal, runs during, then recovers a copy
// of f read back from the journal, twice, checks that the namespace is as
// it was before and returns the recovered copy.
func (h *harness) applyRecover(t *testing.T, f Fault, during func()) Fault {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var n notes
	env := h.env(t, &n)
	before := h.snapshot(ctx, t, labNS)
	path := filepath.Join(t.TempDir(), JournalFile)
	j, err := NewJournal(path, Access{Namespace: labNS})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := j.Record(-1, f, PhaseApplying, nil)
	if err != nil {
		t.Fatal(err)
	}
	env.Changed = func(f Fault) {
		if _, err := j.Record(entry, f, PhaseApplying, nil); err != nil {
			t.Errorf("journal: %v", err)
		}
	}
	if err := f.Apply(ctx, env); err != nil {
		_ = f.Recover(ctx, env)
		t.Fatalf("apply %s: %v", f.Name(), err)
	}
	if during != nil {
		during()
	}
	back, err := LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	_, pending, err := back.Pending()
	if err != nil || len(pending) != 1 {
		t.Fatalf("journal pending %v, %v: want the fault", pending, err)
	}
	for i := range 2 {
		if err := pending[0].Recover(ctx, env); err != nil {
			t.Fatalf("recover %d of %s from the journal: %v", i+1, f.Name(), err)
		}
	}
	after := h.snapshot(ctx, t, labNS)
	h.same(t, before, after)
	return pending[0]
}

// snapshot is what a fault may change in a namespace, without what changes
// by itself (resource versions, pod names of replaced pods, timestamps).
type snapshot map[string]string

func (h *harness) snapshot(ctx context.Context, t *testing.T, ns string) snapshot {
	t.Helper()
	s := snapshot{}
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		s[key] = string(b)
	}
	c := h.cl.Client
	deps, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		put("deployment/"+d.Name, d.Spec)
	}
	svcs, err := c.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range svcs.Items {
		put("service/"+v.Name, v.Spec)
	}
	if cm, err := c.CoreV1().ConfigMaps(kubeProxyNS).Get(ctx, "kube-proxy-config", metav1.GetOptions{}); err == nil {
		put("kube-system/configmap/kube-proxy-config", cm.Data)
	}
	ings, err := c.NetworkingV1().Ingresses(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range ings.Items {
		put("ingress/"+v.Name, v.Spec)
		put("ingress/"+v.Name+"/annotations", v.Annotations)
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := map[string]int{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if metav1.GetControllerOf(&p) == nil {
			put("pod/"+p.Name, p.Spec.NodeName)
			continue
		}
		if podReady(&p) {
			ready[p.Labels["track"]]++
		}
	}
	put("ready pods by track", ready)
	if list, err := h.cl.Dynamic.Resource(podChaosGVR).Namespace(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, u := range list.Items {
			put("podchaos/"+u.GetName(), u.Object["spec"])
		}
	}
	return s
}

// same fails t with every difference between before and after.
func (h *harness) same(t *testing.T, before, after snapshot) {
	t.Helper()
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if after[k] != before[k] {
			diffs = append(diffs, fmt.Sprintf("%s: before %s, after %s", k, before[k], orGone(after, k)))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: new after recover: %s", k, after[k]))
		}
	}
	if len(diffs) > 0 {
		t.Fatalf("the cluster is not as it was:\n%s", strings.Join(diffs, "\n"))
	}
}

func orGone(s snapshot, k string) string {
	if v, ok := s[k]; ok {
		return v
	}
	return "(gone)"
}

// allFaults returns one of each fault, acting in the env's namespace.
func allFaults() []Fault {
	return []Fault{
		&RollingUpdate{Deployment: "web", Wait: true},
		&Scale{Deployment: "web", Replicas: 1, Wait: true},
		&PodKill{Selector: "app=web,track=blue", Count: 1, Mode: PodKillDelete, Wait: true, Timeout: time.Minute},
		&SelectorSwitch{Service: "web", Selector: map[string]string{"app": "web", "track": "green"}},
		&BlueGreen{Ingress: "web", Service: "web-green"},
		&ChaosMesh{Kind: "PodChaos", Body: map[string]any{"action": "pod-kill", "mode": "one",
			"selector": map[string]any{"labelSelectors": map[string]any{"app": "web"}}}, Timeout: time.Minute},
		&ConntrackFlood{Nodes: []string{"node-1"}, Proto: "udp", To: "nodeIP", Rate: 100, For: 10 * time.Second,
			Image: DefaultImage, Timeout: time.Minute},
		&ConntrackFlush{Nodes: []string{"node-1"}, Proto: "tcp", Service: "web", For: time.Minute, Image: DefaultImage, Timeout: time.Minute},
	}
}

// optIn: in a namespace without the label every new fault is refused before
// it changes anything; --allow-any-namespace lets it act.
func (h *harness) optIn(t *testing.T) {
	ctx := context.Background()
	before := h.snapshot(ctx, t, closedNS)
	var n notes
	for _, f := range allFaults() {
		if ActionOf(f).Name == "rollingUpdate" || ActionOf(f).Name == "scale" {
			continue
		}
		env := h.env(t, &n)
		env.Namespace = closedNS
		changed := false
		env.Changed = func(Fault) { changed = true }
		err := f.Apply(ctx, env)
		var refused *NotOptedInError
		if !errors.As(err, &refused) || refused.Namespace != closedNS {
			t.Errorf("%s in %s: %v; want a NotOptedInError", f.Name(), closedNS, err)
			continue
		}
		for _, want := range []string{OptInLabel + "=" + OptInValue, "--allow-any-namespace"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: refusal %q does not mention %s", f.Name(), err, want)
			}
		}
		if changed {
			t.Errorf("%s journaled a change although it was refused", f.Name())
		}
	}
	h.same(t, before, h.snapshot(ctx, t, closedNS))

	env := h.env(t, &n)
	env.Namespace, env.AllowAnyNamespace = closedNS, true
	f := &SelectorSwitch{Service: "web", Selector: map[string]string{"app": "web", "track": "green"}}
	if err := f.Apply(ctx, env); err != nil {
		t.Fatalf("with AllowAnyNamespace: %v", err)
	}
	svc, err := h.cl.Client.CoreV1().Services(closedNS).Get(ctx, "web", metav1.GetOptions{})
	if err != nil || svc.Spec.Selector["track"] != "green" {
		t.Fatalf("with AllowAnyNamespace the selector was not switched: %v %v", svc.Spec.Selector, err)
	}
	if err := f.Recover(ctx, env); err != nil {
		t.Fatal(err)
	}
	h.same(t, before, h.snapshot(ctx, t, closedNS))
}

// dryRun: every fault notes the calls it would make and changes nothing.
func (h *harness) dryRun(t *testing.T) {
	ctx := context.Background()
	before := h.snapshot(ctx, t, labNS)
	for _, f := range allFaults() {
		if ActionOf(f).Name == "chaosMesh" {
			continue
		}
		var n notes
		env := h.env(t, &n)
		env.DryRun = true
		env.Changed = func(Fault) { t.Errorf("%s journaled a change in a dry run", f.Name()) }
		if err := f.Apply(ctx, env); err != nil {
			t.Errorf("dry run of %s: %v", f.Name(), err)
			continue
		}
		if err := f.Recover(ctx, env); err != nil {
			t.Errorf("dry run recover of %s: %v", f.Name(), err)
		}
		text := n.text()
		want := map[string]string{
			"rollingUpdate":  "would PATCH deployments/web in faults (strategic merge) {\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"drill.dev/restartedAt\"",
			"scale":          "would PUT deployments/web/scale in faults with replicas 1 (was 2)",
			"podKill":        "would DELETE pods/web-",
			"selectorSwitch": "would PUT services/web in faults with spec.selector app=web,track=green (was app=web,track=blue)",
			"blueGreen":      "would PUT ingresses/web in faults",
			"conntrackFlood": "would POST pods in faults: drill-flood-node-1-",
			"conntrackFlush": "would POST pods in faults: drill-conntrack-flush-node-1-",
		}[ActionOf(f).Name]
		if !strings.Contains(text, want) {
			t.Errorf("dry run of %s does not say %q:\n%s", f.Name(), want, text)
		}
		if strings.Contains(text, "fault: ") {
			t.Errorf("dry run of %s noted a change:\n%s", f.Name(), text)
		}
	}
	h.same(t, before, h.snapshot(ctx, t, labNS))
}

func (h *harness) podKill(t *testing.T) {
	ctx := context.Background()
	f := &PodKill{Selector: "app=web,track=blue", Count: 1, Mode: PodKillDelete, Wait: true, Timeout: time.Minute}
	h.applyRecover(t, f, func() {
		if len(f.Killed) != 1 || len(f.Owners) != 1 || f.Owners[0] != (Owner{Kind: "Deployment", Name: "web"}) {
			t.Fatalf("killed %v owners %v: want one pod of deployment web", f.Killed, f.Owners)
		}
		p, err := h.cl.Client.CoreV1().Pods(labNS).Get(ctx, f.Killed[0].Name, metav1.GetOptions{})
		if err == nil && p.UID == f.Killed[0].UID && p.DeletionTimestamp == nil {
			t.Fatalf("pod %s still running after podKill", p.Name)
		}
	})
	all := &PodKill{Selector: "track=green", All: true, GracePeriodSeconds: new(int64), Mode: PodKillDelete, Wait: false, Timeout: time.Minute}
	h.applyRecover(t, all, func() {
		if len(all.Killed) != 1 {
			t.Fatalf("killed %v: want the one green pod", all.Killed)
		}
	})
}

func (h *harness) selectorSwitch(t *testing.T) {
	ctx := context.Background()
	f := &SelectorSwitch{Service: "web", Selector: map[string]string{"app": "web", "track": "green"}}
	h.applyRecover(t, f, func() {
		svc, err := h.cl.Client.CoreV1().Services(labNS).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || !maps.Equal(svc.Spec.Selector, f.Selector) {
			t.Fatalf("selector %v (%v), want %v", svc.Spec.Selector, err, f.Selector)
		}
		if f.Original["track"] != "blue" || !f.Recorded {
			t.Fatalf("original %v not recorded", f.Original)
		}
	})
}

func (h *harness) blueGreen(t *testing.T) {
	ctx := context.Background()
	f := &BlueGreen{Ingress: "web", Service: "web-green", From: "web"}
	h.applyRecover(t, f, func() {
		ing, err := h.cl.Client.NetworkingV1().Ingresses(labNS).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		paths := ing.Spec.Rules[0].HTTP.Paths
		if ing.Spec.DefaultBackend.Service.Name != "web-green" || paths[0].Backend.Service.Name != "web-green" ||
			paths[0].Backend.Service.Port.Name != "http" || paths[1].Backend.Service.Name != "static" {
			t.Fatalf("backends after the switch: default %v, / %v, /static %v; want / and default on web-green, the port kept, /static untouched",
				ing.Spec.DefaultBackend.Service, paths[0].Backend.Service, paths[1].Backend.Service)
		}
		a, err := awslb.ParseAction(ing.Annotations, "blue-green")
		if err != nil {
			t.Fatal(err)
		}
		weights := map[string]int{}
		for _, g := range a.ForwardConfig.TargetGroups {
			weights[g.ServiceName] = *g.Weight
		}
		if weights["web"] != 0 || weights["web-green"] != 100 || paths[2].Backend.Service.Name != "blue-green" {
			t.Fatalf("forward action after the switch: weights %v, /bg on %v; want every request on web-green, the backend kept", weights, paths[2].Backend.Service)
		}
	})
	port := &BlueGreen{Ingress: "web", Service: "web-green", Port: 8080}
	h.applyRecover(t, port, func() {
		if len(port.Original) != 3 || len(port.OriginalActions) != 1 {
			t.Fatalf("original %v and %v: want the three Service backends and the action", port.Original, port.OriginalActions)
		}
	})
}

func (h *harness) chaosMesh(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var n notes
	env := h.env(t, &n)
	for _, f := range []Fault{
		&ChaosMesh{Kind: "PodChaos", Body: map[string]any{"action": "pod-kill", "mode": "one"}, Timeout: time.Minute},
		&PodKill{Selector: "app=web", Count: 1, Mode: PodKillChaosMesh, Timeout: time.Minute},
	} {
		err := f.Apply(ctx, env)
		var missing *ChaosMeshMissingError
		if !errors.As(err, &missing) || !strings.Contains(err.Error(), "the cluster has no Chaos Mesh") {
			t.Fatalf("%s without Chaos Mesh: %v; want a ChaosMeshMissingError", f.Name(), err)
		}
	}

	crd, err := cluster.ReadManifests([]string{"testdata/podchaos-crd.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.cl.Apply(ctx, "", crd); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := chaosResource(ctx, env, "PodChaos")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("PodChaos CRD not served: %v", err)
	}
	// The lab has no Chaos Mesh controller: this stands in for it and
	// reports every PodChaos injected.
	ctrlCtx, cancelCtrl := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.fakeChaosController(ctrlCtx)
	}()
	stopController := sync.OnceFunc(func() { cancelCtrl(); <-done })
	defer stopController()

	cm := &ChaosMesh{Kind: "PodChaos", ObjectName: "kill-one", Body: map[string]any{"action": "pod-kill", "mode": "one",
		"selector": map[string]any{"labelSelectors": map[string]any{"app": "web"}}}, Timeout: time.Minute}
	h.applyRecover(t, cm, func() {
		u, err := h.cl.Dynamic.Resource(podChaosGVR).Namespace(labNS).Get(ctx, "kill-one", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("PodChaos kill-one: %v", err)
		}
		if action, _, _ := unstructured.NestedString(u.Object, "spec", "action"); action != "pod-kill" {
			t.Fatalf("PodChaos spec %v", u.Object["spec"])
		}
	})
	pk := &PodKill{Selector: "app=web", Count: 2, Mode: PodKillChaosMesh, Wait: true, Timeout: time.Minute}
	h.applyRecover(t, pk, func() {
		if pk.Chaos == nil {
			t.Fatal("no PodChaos journaled")
		}
		u, err := h.cl.Dynamic.Resource(podChaosGVR).Namespace(labNS).Get(ctx, pk.Chaos.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spec, _ := json.Marshal(u.Object["spec"])
		if !strings.Contains(string(spec), `"mode":"fixed"`) || !strings.Contains(string(spec), `"value":"2"`) ||
			!strings.Contains(string(spec), `"labelSelectors":{"app":"web"}`) || !strings.Contains(string(spec), `"namespaces":["faults"]`) {
			t.Fatalf("PodChaos spec %s: want pod-kill of 2 pods app=web in faults", spec)
		}
	})
	never := &ChaosMesh{Kind: "PodChaos", ObjectName: "never", Body: map[string]any{"action": "pod-kill", "mode": "one"}, Timeout: 2 * time.Second}
	stopController()
	err = never.Apply(ctx, env)
	if err == nil || !strings.Contains(err.Error(), "is the Chaos Mesh controller running") {
		t.Errorf("PodChaos never injected: %v; want a timeout naming the controller", err)
	}
	if err := never.Recover(ctx, env); err != nil {
		t.Fatal(err)
	}
	if _, err := h.cl.Dynamic.Resource(podChaosGVR).Namespace(labNS).Get(ctx, "never", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("PodChaos never after recover: %v; want it deleted", err)
	}
}

// fakeChaosController sets AllInjected on every PodChaos in the test
// namespace until ctx ends.
func (h *harness) fakeChaosController(ctx context.Context) {
	res := h.cl.Dynamic.Resource(podChaosGVR).Namespace(labNS)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
		list, err := res.List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range list.Items {
			u := &list.Items[i]
			if conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions"); len(conds) > 0 {
				continue
			}
			_ = unstructured.SetNestedSlice(u.Object, []any{
				map[string]any{"type": "AllInjected", "status": "True"},
				map[string]any{"type": "AllRecovered", "status": "False"},
			}, "status", "conditions")
			_, _ = res.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		}
	}
}

// conntrackFlood floods node-1 from a pod in its network namespace and reads
// the kernel's conntrack count there; then holds a fill.
func (h *harness) conntrackFlood(t *testing.T) {
	requireFlood(t)
	ctx := context.Background()
	node := h.lab.Plan().Nodes[0]
	base := nodeConntrack(t, node.Netns)
	f := &ConntrackFlood{Nodes: []string{node.Name}, Proto: "udp", To: "nodeIP", Rate: 2000, For: 2 * time.Minute,
		Image: DefaultImage, Timeout: time.Minute}
	h.applyRecover(t, f, func() {
		if err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			return nodeConntrack(t, node.Netns) >= base+2000, nil
		}); err != nil {
			t.Fatalf("conntrack count of %s stayed at %d (from %d): the flood did not reach the node", node.Name, nodeConntrack(t, node.Netns), base)
		}
		t.Logf("conntrack count of %s: %d before the flood, %d during it", node.Name, base, nodeConntrack(t, node.Netns))
	})

	// Hold the table at a fill just above what it holds now.
	_, max := nodeConntrackMax(t, node.Netns)
	now := nodeConntrack(t, node.Netns)
	fill := float64(now+3000) / float64(max)
	held := &ConntrackFlood{Nodes: []string{node.Name}, Proto: "udp", To: "loopback", Rate: 5000, For: 2 * time.Minute,
		Fill: fill, Image: DefaultImage, Timeout: time.Minute}
	target := int(fill * float64(max))
	h.applyRecover(t, held, func() {
		if err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
			return nodeConntrack(t, node.Netns) >= target*95/100, nil
		}); err != nil {
			t.Fatalf("conntrack count %d never neared the fill target %d", nodeConntrack(t, node.Netns), target)
		}
		time.Sleep(2 * time.Second)
		// The flooder reads the count every 100 ms: it overshoots by at most
		// that much sending (500 at 5000/s), plus the node's own traffic.
		got := nodeConntrack(t, node.Netns)
		if got > target+1500 {
			t.Fatalf("conntrack count %d well above the fill target %d: the flood did not pause", got, target)
		}
		t.Logf("fill %.4f of %d: target %d entries, held at %d", fill, max, target, got)
	})
}

// conntrackFlush: connections kept open from the node to the Service's
// cluster IP have their entries deleted by a flush of the Service, which
// reports how many per node; a periodic flush flushes more than once and
// reports each.
func (h *harness) conntrackFlush(t *testing.T) {
	requireCommand(t, "conntrack-flush", "-every")
	ctx := context.Background()
	node := h.lab.Plan().Nodes[0]
	svc, err := h.cl.Client.CoreV1().Services(labNS).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParseAddr(svc.Spec.ClusterIP)
	const conns = 5
	open := func() {
		t.Helper()
		for range conns {
			c, err := netns.Dial(ctx, netns.Path(node.Netns), &net.Dialer{Timeout: 5 * time.Second}, "tcp4", net.JoinHostPort(vip.String(), "80"))
			if err != nil {
				t.Fatalf("connect to web's cluster IP from %s: %v", node.Name, err)
			}
			t.Cleanup(func() { c.Close() })
		}
	}
	toVIP := func() int {
		t.Helper()
		n := 0
		err := netns.Do(netns.Path(node.Netns), func() error {
			entries, err := conntrack.Dump()
			for _, e := range entries {
				if e.Orig.Dst == netip.AddrPortFrom(vip, 80) && e.TCPState == conntrack.TCPEstablished {
					n++
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	open()
	if n := toVIP(); n < conns {
		t.Fatalf("%d established entries to %s:80 on %s before the flush, want %d", n, vip, node.Name, conns)
	}
	once := &ConntrackFlush{Nodes: []string{node.Name}, Proto: "tcp", Service: "web", For: time.Minute, Image: DefaultImage, Timeout: time.Minute}
	h.applyRecover(t, once, func() {
		if once.Deleted[node.Name] < conns || len(once.Flushes) != 1 {
			t.Fatalf("flush of service web: deleted %v in %d flushes, want at least %d on %s in one", once.Deleted, len(once.Flushes), conns, node.Name)
		}
		if n := toVIP(); n != 0 {
			t.Fatalf("%d established entries to %s:80 left after the flush", n, vip)
		}
		if !slices.Contains(once.Filters, "proto=tcp,port=80,dst="+vip.String()+"/32") {
			t.Fatalf("filters %v lack the cluster IP and port", once.Filters)
		}
	})

	every := &ConntrackFlush{Nodes: []string{node.Name}, Proto: "tcp", Destination: vip.String(), Every: time.Second, For: 30 * time.Second,
		Image: DefaultImage, Timeout: time.Minute}
	recovered := h.applyRecover(t, every, func() {
		// Two rounds: the second round's connections open after the first
		// round's entries are gone, so only a later flush deletes them,
		// however late the flush pod's first flush comes.
		for round := 1; round <= 2; round++ {
			open()
			if err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
				return toVIP() == 0, nil
			}); err != nil {
				t.Fatalf("round %d: %d established entries to %s left: the periodic flush did not delete them", round, toVIP(), vip)
			}
		}
	})
	// Recover read the flushes from the pods' logs (the second recovery,
	// with the pods gone, keeps them).
	got := recovered.(*ConntrackFlush)
	if len(got.Flushes) < 2 || got.Deleted[node.Name] < conns {
		t.Fatalf("periodic flush: %d flushes deleting %v; want 2 or more, %d or more entries", len(got.Flushes), got.Deleted, conns)
	}
	t.Logf("once: %v; every 1s: %d flushes, %v", once.Deleted, len(got.Flushes), got.Deleted)
}

// requireCommand fails (CI) or skips unless the drill binary has the
// command (its help naming flag).
func requireCommand(t *testing.T, command, flag string) {
	out, err := exec.Command(os.Getenv(lab.EnvDrillBinary), command, "-h").CombinedOutput()
	if err == nil && strings.Contains(string(out), flag) {
		return
	}
	msg := fmt.Sprintf("%s has no %s command (%v): build drill from this tree", os.Getenv(lab.EnvDrillBinary), command, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// requireFlood fails (CI) or skips unless the drill binary has `drill flood`.
func requireFlood(t *testing.T) { requireCommand(t, "flood", "-fill") }

func nodeConntrack(t *testing.T, netns string) int {
	n, _ := nodeConntrackMax(t, netns)
	return n
}

func nodeConntrackMax(t *testing.T, netns string) (count, max int) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", netns, "cat",
		"/proc/sys/net/netfilter/nf_conntrack_count", "/proc/sys/net/netfilter/nf_conntrack_max").Output()
	if err != nil {
		t.Fatalf("read conntrack in %s: %v", netns, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		t.Fatalf("conntrack in %s: %q", netns, out)
	}
	count, _ = strconv.Atoi(f[0])
	max, _ = strconv.Atoi(f[1])
	return count, max
}

// recoverAfterDelete: when what a fault changed was deleted meanwhile (the
// setup torn down before `drill recover`), Recover has nothing to restore
// and succeeds.
func (h *harness) recoverAfterDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var n notes
	env := h.env(t, &n)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "tmp"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "tmp"}, Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := h.cl.Client.CoreV1().Services(labNS).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ss := &SelectorSwitch{Service: "tmp", Selector: map[string]string{"app": "other"}}
	if err := ss.Apply(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := h.cl.Client.CoreV1().Services(labNS).Delete(ctx, "tmp", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ss.Recover(ctx, env); err != nil {
		t.Fatalf("recover with the Service gone: %v", err)
	}

	objs, err := cluster.ReadManifests([]string{"testdata/lab.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	dep := objs[1].DeepCopy() // web-green, renamed
	dep.SetName("tmp")
	applied, err := h.cl.Apply(ctx, labNS, []*unstructured.Unstructured{dep})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cl.WaitReady(ctx, applied); err != nil {
		t.Fatal(err)
	}
	pk := &PodKill{Selector: "track=green", All: true, Mode: PodKillDelete, Wait: false, Timeout: time.Minute}
	if err := pk.Apply(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := h.cl.Delete(ctx, applied); err != nil {
		t.Fatal(err)
	}
	if err := pk.Recover(ctx, env); err != nil {
		t.Fatalf("recover with deployment tmp gone: %v", err)
	}
	if !strings.Contains(n.text(), "Deployment/tmp in faults no longer exists") {
		t.Errorf("no note about the missing owner:\n%s", n.text())
	}
}

const kubeProxyNS = "kube-system"

// kubeProxyMode: on a stand-in for EKS's kube-proxy (its ConfigMap, and a
// DaemonSet whose pods run drill echo), the fault refuses to act without
// the user's consent, switches the mode and restarts the DaemonSet with
// it, and Recover puts the configuration back word for word.
func (h *harness) kubeProxyMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const original = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n# set by the cluster's installer\nmode: \"iptables\"\nipvs:\n  scheduler: \"\"\n"
	cms := h.cl.Client.CoreV1().ConfigMaps(kubeProxyNS)
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-config"}, Data: map[string]string{"config": original}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	objs, err := cluster.ReadManifests([]string{"testdata/kube-proxy-standin.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := h.cl.Apply(ctx, kubeProxyNS, objs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = h.cl.Delete(context.Background(), applied)
		_ = cms.Delete(context.Background(), "kube-proxy-config", metav1.DeleteOptions{})
	})
	podNames := func() []string {
		pods, err := h.cl.Client.CoreV1().Pods(kubeProxyNS).List(ctx, metav1.ListOptions{LabelSelector: "app=kube-proxy-standin"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				names = append(names, p.Name)
			}
		}
		return names
	}
	f := &KubeProxyMode{Mode: "ipvs", Scheduler: "rr", Namespace: kubeProxyNS, ConfigMap: "kube-proxy-config", Key: "config", DaemonSet: "kube-proxy", Timeout: 2 * time.Minute}
	if err := f.restart(ctx, h.env(t, &notes{})); err != nil { // also waits until the stand-in runs
		t.Fatal(err)
	}
	var n notes
	env := h.env(t, &n)
	env.AllowClusterChanges = false
	if err := f.Apply(ctx, env); !errors.Is(err, ErrClusterChanges) || !strings.Contains(err.Error(), "--allow-cluster-changes") {
		t.Fatalf("apply without consent: %v, want a refusal naming --allow-cluster-changes", err)
	}
	if cm, _ := cms.Get(ctx, "kube-proxy-config", metav1.GetOptions{}); cm.Data["config"] != original {
		t.Fatalf("a refused kubeProxyMode changed the configuration:\n%s", cm.Data["config"])
	}
	before := podNames()
	h.applyRecover(t, f, func() {
		cm, err := cms.Get(ctx, "kube-proxy-config", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		text := cm.Data["config"]
		if !strings.Contains(text, "mode: ipvs") || !strings.Contains(text, "scheduler: rr") || !strings.Contains(text, "kind: KubeProxyConfiguration") {
			t.Fatalf("configuration after the switch:\n%s", text)
		}
		if now := podNames(); len(now) == 0 || slices.Equal(now, before) {
			t.Fatalf("daemonset pods %v before, %v after the switch: want new ones", before, now)
		}
	})
	if cm, _ := cms.Get(ctx, "kube-proxy-config", metav1.GetOptions{}); cm.Data["config"] != original {
		t.Fatalf("configuration after recover:\n%s\nwant the original word for word", cm.Data["config"])
	}
}
