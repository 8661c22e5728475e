//go:build lab

package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/testenv"
)

// requireLab skips (or, in CI, fails) when the lab cannot run here: it
// needs root and the drill and drill-kube binaries named by DRILL_BIN and
// DRILL_KUBE_BIN (`make test` sets both), and what the nodes need.
func requireLab(t *testing.T) (drill, kube string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("lab test cannot run in CI: %s", msg)
		}
		t.Skipf("lab test skipped: %s", msg)
	}
	if testing.Short() {
		t.Skip("lab test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		missing("needs root")
	}
	drill, kube = os.Getenv(EnvDrillBinary), os.Getenv(EnvKubeBinary)
	if drill == "" || kube == "" {
		missing("set %s and %s (make test does: it builds bin/drill and bin/drill-kube)", EnvDrillBinary, EnvKubeBinary)
	}
	for _, b := range []string{drill, kube} {
		if err := executable(b); err != nil {
			missing("%v (run make build kube)", err)
		}
	}
	if err := CheckHost(drill); err != nil {
		missing("%v (make containerd deps)", err)
	}
	return drill, kube
}

// progressWriter sends lab progress lines to the test log.
type progressWriter struct{ t *testing.T }

func (w progressWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// upLab brings a lab up under a temp state root and registers its removal.
// The returned stop func removes it early and reports whether that left
// anything behind.
func upLab(t *testing.T, ctx context.Context, name string, nodes int, mode string) (*Lab, string) {
	t.Helper()
	drill, kube := requireLab(t)
	root := t.TempDir()
	name, err := testenv.LabName(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: name, Nodes: nodes, ProxyMode: mode, StateRoot: root,
		DrillBinary: drill, KubeBinary: kube, Progress: progressWriter{t}}
	start := time.Now()
	l, err := Up(ctx, cfg)
	if err != nil {
		if l != nil {
			dumpLogs(t, l)
			_ = l.Down(context.Background())
		}
		t.Fatalf("Up: %v", err)
	}
	t.Logf("lab up with %d nodes Ready in %s", nodes, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if _, err := os.Stat(l.Plan().StateDir); err != nil {
			return // already down
		}
		if t.Failed() {
			dumpLogs(t, l)
		}
		_ = l.Down(context.Background())
	})
	return l, root
}

func TestLabIPTables(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	host := hostState(t)
	l, root := upLab(t, ctx, "labtest", 3, ProxyIPTables)
	name := l.Name()
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("all nodes Ready", func(t *testing.T) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes.Items) != 3 {
			t.Fatalf("got %d nodes, want 3", len(nodes.Items))
		}
		for i := range nodes.Items {
			if !nodeReady(&nodes.Items[i]) {
				t.Errorf("node %s not Ready", nodes.Items[i].Name)
			}
		}
	})

	t.Run("status", func(t *testing.T) {
		st, err := l.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Problems) > 0 || !st.APIReady || st.ProxyMode != ProxyIPTables {
			t.Errorf("status: problems %v, api ready %t, proxy mode %q", st.Problems, st.APIReady, st.ProxyMode)
		}
		if st.HostConntrackMax <= 0 {
			t.Errorf("host nf_conntrack_max = %d, want the kernel's value", st.HostConntrackMax)
		}
		t.Logf("lab RSS %.0f MiB over %d processes", float64(st.RSSBytes)/(1<<20), len(st.Processes))
	})

	t.Run("kubeconfig is private", func(t *testing.T) {
		fi, err := os.Stat(l.Kubeconfig())
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("kubeconfig mode %v, want 0600", fi.Mode().Perm())
		}
	})

	if !t.Run("echo deployment available", func(t *testing.T) {
		if err := createEcho(ctx, cs, 6); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if err := waitRollout(ctx, cs, "default", "echo", 6); err != nil {
			t.Fatal(err)
		}
		t.Logf("6-replica deployment available in %s", time.Since(t0).Round(time.Millisecond))
	}) {
		t.FailNow()
	}

	t.Run("NodePort answers on every node and spreads", func(t *testing.T) {
		// kube-proxy may not have programmed every endpoint the moment the
		// Deployment is available: give it a few rounds.
		var backends map[string]int
		for try := 0; try < 5; try++ {
			if backends = nodePortBackends(t, ctx, cs, l, l.Plan().Nodes, 30); len(backends) >= 2 {
				break
			}
			time.Sleep(time.Second)
		}
		if len(backends) < 2 {
			t.Errorf("connections reached %d backend(s) %v, want them spread over several pods", len(backends), backends)
		}
		t.Logf("backends: %v", backends)
	})

	t.Run("ClusterIP answers from a node namespace", func(t *testing.T) {
		svc, err := cs.CoreV1().Services("default").Get(ctx, "echo", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		node := l.Plan().Nodes[0]
		url := fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
		if err := retry(ctx, 30*time.Second, func() error { _, err := get(ctx, vpcHTTPClient(node.Netns), url); return err }); err != nil {
			t.Errorf("ClusterIP %s from node %s: %v", url, node.Name, err)
		}
	})

	t.Run("kubectl logs reaches the kubelet", func(t *testing.T) {
		pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
		if err != nil || len(pods.Items) == 0 {
			t.Fatalf("echo pods: %v", err)
		}
		b, err := cs.CoreV1().Pods("default").GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(ctx)
		if err != nil {
			t.Fatalf("logs of %s through the API server: %v", pods.Items[0].Name, err)
		}
		if !strings.Contains(string(b), "listening") {
			t.Errorf("logs of %s = %q, want drill echo's listening line", pods.Items[0].Name, b)
		}
	})

	t.Run("conntrack timeouts set per node by kube-proxy", func(t *testing.T) {
		out := inNetns(t, ctx, l.Plan().Nodes[0].Netns, "cat", "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established")
		if strings.TrimSpace(out) != "86400" {
			t.Errorf("nf_conntrack_tcp_timeout_established in the node = %q, want kube-proxy's 86400", strings.TrimSpace(out))
		}
	})

	t.Run("iptables rules in the node namespace", func(t *testing.T) {
		out := inNetns(t, ctx, l.Plan().Nodes[0].Netns, "iptables-save", "-t", "nat")
		for _, want := range []string{"KUBE-NODEPORTS", "KUBE-SVC-", "KUBE-SEP-", "default/echo"} {
			if !strings.Contains(out, want) {
				t.Errorf("iptables-save in %s lacks %q", l.Plan().Nodes[0].Netns, want)
			}
		}
	})

	t.Run("rollout restart completes", func(t *testing.T) {
		patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
		if _, err := cs.AppsV1().Deployments("default").Patch(ctx, "echo", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if err := waitRollout(ctx, cs, "default", "echo", 6); err != nil {
			t.Fatal(err)
		}
		t.Logf("rollout restart of 6 replicas completed in %s", time.Since(t0).Round(time.Millisecond))
	})

	t.Run("scale to 0 and back", func(t *testing.T) {
		for _, n := range []int32{0, 3} {
			if err := scale(ctx, cs, "default", "echo", n); err != nil {
				t.Fatal(err)
			}
			if err := waitRollout(ctx, cs, "default", "echo", n); err != nil {
				t.Fatal(err)
			}
			if err := waitPods(ctx, cs, "default", "app=echo", int(n)); err != nil {
				t.Fatal(err)
			}
		}
		if b := nodePortBackends(t, ctx, cs, l, l.Plan().Nodes[:1], 30); len(b) == 0 {
			t.Error("no backend answers after scaling back to 3")
		}
	})

	t.Run("down leaves nothing behind", func(t *testing.T) {
		relay := l.Plan().RelayAddr
		if err := l.Down(ctx); err != nil {
			t.Fatal(err)
		}
		if left := Leftovers(root, name); len(left) > 0 {
			t.Errorf("after Down: %s", strings.Join(left, "; "))
		}
		if c, err := net.DialTimeout("tcp", relay, time.Second); err == nil {
			c.Close()
			t.Errorf("relay %s still accepts connections after Down", relay)
		}
		if err := l.Down(ctx); err != nil {
			t.Errorf("second Down (idempotent): %v", err)
		}
	})

	t.Run("host left as it was", func(t *testing.T) {
		diffHostState(t, host, hostState(t))
	})
}

func TestLabNFTables(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l, root := upLab(t, ctx, "labnft", 2, ProxyNFTables)
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := createEcho(ctx, cs, 3); err != nil {
		t.Fatal(err)
	}
	if err := waitRollout(ctx, cs, "default", "echo", 3); err != nil {
		t.Fatal(err)
	}
	// kube-proxy may program the last endpoints a moment after the
	// Deployment is available: look again until the rules hold all three.
	err = retry(ctx, 30*time.Second, func() error {
		out := inNetns(t, ctx, l.Plan().Nodes[0].Netns, "nft", "list", "table", "ip", "kube-proxy")
		for _, want := range []string{"numgen random mod 3", "default/echo"} {
			if !strings.Contains(out, want) {
				return fmt.Errorf("nft table ip kube-proxy in %s lacks %q", l.Plan().Nodes[0].Netns, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	backends := nodePortBackends(t, ctx, cs, l, l.Plan().Nodes, 30)
	if len(backends) < 2 {
		t.Errorf("60 connections reached %d backend(s) %v, want several", len(backends), backends)
	}

	t.Run("down by name after losing the lab state", func(t *testing.T) {
		// As after a crash: no lab.json, no pidfiles. Down must still find
		// the processes (by DRILL_LAB) and namespaces (by prefix).
		for _, f := range []string{"lab.json", "pids"} {
			if err := os.RemoveAll(l.plan.path(f)); err != nil {
				t.Fatal(err)
			}
		}
		if pids := labPIDs(l.Name()); len(pids) == 0 {
			t.Fatal("no lab process found by DRILL_LAB before Down")
		}
		if err := DownIn(ctx, root, l.Name(), progressWriter{t}); err != nil {
			t.Fatal(err)
		}
		if left := Leftovers(root, l.Name()); len(left) > 0 {
			t.Errorf("after Down: %s", strings.Join(left, "; "))
		}
	})
}

// TestLabIPVSEmulated checks the IPVS stand-in on a kernel without ip_vs:
// labelled as emulated, and strict round robin over new connections.
func TestLabIPVSEmulated(t *testing.T) {
	t.Parallel()
	if kernelHasIPVS() {
		t.Skip("this kernel has ip_vs: the real kube-proxy runs in ipvs mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l, _ := upLab(t, ctx, "labipvs", 1, ProxyIPVS)
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Up(ctx, Config{Name: l.Name(), Nodes: 1, ProxyMode: ProxyIPVS, StateRoot: filepath.Dir(l.Plan().StateDir),
		DrillBinary: l.Plan().DrillBinary, KubeBinary: l.Plan().KubeBinary})
	if err != nil {
		t.Fatalf("Up on a healthy lab: %v", err)
	}
	if again.Plan().RelayAddr != l.Plan().RelayAddr {
		t.Errorf("Up on a healthy lab made a new one (relay %s, was %s), want the same lab back", again.Plan().RelayAddr, l.Plan().RelayAddr)
	}
	st, err := l.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ProxyMode != IPVSEmulatedLabel {
		t.Errorf("status proxy mode %q, want %q", st.ProxyMode, IPVSEmulatedLabel)
	}
	if err := createEcho(ctx, cs, 3); err != nil {
		t.Fatal(err)
	}
	if err := waitRollout(ctx, cs, "default", "echo", 3); err != nil {
		t.Fatal(err)
	}
	node := l.Plan().Nodes[0]
	// Wait until the proxier programmed all three endpoints.
	if err := retry(ctx, 30*time.Second, func() error {
		out := inNetns(t, ctx, node.Netns, "nft", "list", "table", "ip", "drill-ipvs")
		if !strings.Contains(out, "numgen inc mod 3") {
			return fmt.Errorf("drill-ipvs table not synced yet:\n%s", out)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if out := inNetns(t, ctx, node.Netns, "cat", "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"); strings.TrimSpace(out) != "86400" {
		t.Errorf("nf_conntrack_tcp_timeout_established in the node = %q, want kube-proxy's 86400", strings.TrimSpace(out))
	}
	backends := nodePortBackends(t, ctx, cs, l, []NodePlan{node}, 30)
	if len(backends) != 3 {
		t.Fatalf("30 connections reached %d backends %v, want all 3", len(backends), backends)
	}
	for b, n := range backends {
		if n != 10 {
			t.Errorf("backend %s got %d of 30 connections, want exactly 10 (round robin): %v", b, n, backends)
		}
	}

	t.Run("terminating endpoint: weight 0, established connection kept", func(t *testing.T) {
		// A preStop sleep keeps the deleted pod serving while it terminates.
		patch := `{"spec":{"template":{"spec":{"containers":[{"name":"echo","lifecycle":{"preStop":{"exec":{"command":["sleep","20"]}}}}]}}}}`
		if _, err := cs.AppsV1().Deployments("default").Patch(ctx, "echo", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := waitRollout(ctx, cs, "default", "echo", 3); err != nil {
			t.Fatal(err)
		}
		if err := waitPods(ctx, cs, "default", "app=echo", 3); err != nil {
			t.Fatal(err)
		}
		// Wait until the proxier round-robins over exactly the new pods.
		pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
		if err != nil {
			t.Fatal(err)
		}
		var ips []string
		for _, p := range pods.Items {
			ips = append(ips, p.Status.PodIP+" . 8080")
		}
		if err := waitNFTMod(ctx, t, node.Netns, 3, ips...); err != nil {
			t.Fatal(err)
		}
		svc, err := cs.CoreV1().Services("default").Get(ctx, "echo", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		url := fmt.Sprintf("http://%s:%d/", node.IP, svc.Spec.Ports[0].NodePort)
		keep := vpcHTTPClient(l.Plan().VPCNetns)
		keep.Transport.(*http.Transport).DisableKeepAlives = false
		victim, err := get(ctx, keep, url)
		if err != nil {
			t.Fatal(err)
		}
		victimIP := ""
		for _, p := range pods.Items {
			if p.Name == victim {
				victimIP = p.Status.PodIP
			}
		}
		if victimIP == "" {
			t.Fatalf("backend %s is not one of the pods %v", victim, ips)
		}
		if err := cs.CoreV1().Pods("default").Delete(ctx, victim, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// The replacement pod may be Ready before the proxier's next sync,
		// so wait for the victim to leave the map, not for its size.
		if err := waitNFTWithout(ctx, t, node.Netns, victimIP+" . 8080"); err != nil {
			t.Fatal(err)
		}
		fresh := vpcHTTPClient(l.Plan().VPCNetns)
		for i := 0; i < 10; i++ {
			b, err := get(ctx, fresh, url)
			if err != nil {
				t.Fatal(err)
			}
			if b == victim {
				t.Errorf("new connection %d went to terminating pod %s", i, victim)
			}
		}
		b, err := get(ctx, keep, url)
		if err != nil {
			t.Fatalf("established connection to terminating pod %s: %v", victim, err)
		}
		if b != victim {
			t.Errorf("established connection answered by %s, want the terminating pod %s it was set up to", b, victim)
		}
	})
}

// waitNFTMod waits until the emulated proxier's echo chain round-robins
// over n endpoints, including the given map elements.
func waitNFTMod(ctx context.Context, t *testing.T, netns string, n int, elems ...string) error {
	want := append([]string{fmt.Sprintf("numgen inc mod %d ", n)}, elems...)
	return retry(ctx, 30*time.Second, func() error {
		out := inNetns(t, ctx, netns, "nft", "list", "table", "ip", "drill-ipvs")
		for _, w := range want {
			if !strings.Contains(out, w) {
				return fmt.Errorf("drill-ipvs table has no %q:\n%s", w, out)
			}
		}
		return nil
	})
}

// waitNFTWithout waits until the emulated proxier's table no longer holds
// the map element: a terminating endpoint gets weight 0, which the
// emulation renders as absence from the round-robin map.
func waitNFTWithout(ctx context.Context, t *testing.T, netns, elem string) error {
	return retry(ctx, 30*time.Second, func() error {
		out := inNetns(t, ctx, netns, "nft", "list", "table", "ip", "drill-ipvs")
		if strings.Contains(out, elem) {
			return fmt.Errorf("drill-ipvs table still holds %q:\n%s", elem, out)
		}
		return nil
	})
}

// nodePortBackends sends perNode new connections to the echo NodePort of
// each node from the VPC namespace and counts the answering backends.
func nodePortBackends(t *testing.T, ctx context.Context, cs kubernetes.Interface, l *Lab, nodes []NodePlan, perNode int) map[string]int {
	t.Helper()
	svc, err := cs.CoreV1().Services("default").Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := svc.Spec.Ports[0].NodePort
	client := vpcHTTPClient(l.Plan().VPCNetns)
	backends := map[string]int{}
	for _, n := range nodes {
		url := fmt.Sprintf("http://%s:%d/", n.IP, port)
		var got map[string]int
		err := retry(ctx, 30*time.Second, func() error {
			got = map[string]int{}
			for i := 0; i < perNode; i++ {
				b, err := get(ctx, client, url)
				if err != nil {
					return err
				}
				got[b]++
			}
			return nil
		})
		if err != nil {
			t.Errorf("node %s NodePort %d: %v", n.Name, port, err)
			continue
		}
		for b, c := range got {
			backends[b] += c
		}
	}
	return backends
}

func inNetns(t *testing.T, ctx context.Context, netns string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + filepath.Join(netnsDir, netns), "--"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v in %s: %v: %s", args, netns, err, out)
	}
	return string(out)
}

func scale(ctx context.Context, cs kubernetes.Interface, ns, name string, n int32) error {
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)
	_, err := cs.AppsV1().Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// waitPods waits until exactly n pods match the selector (terminated ones
// gone).
func waitPods(ctx context.Context, cs kubernetes.Interface, ns, selector string, n int) error {
	return retry(ctx, 2*time.Minute, func() error {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return err
		}
		if len(pods.Items) != n {
			return fmt.Errorf("%d pods match %s, want %d", len(pods.Items), selector, n)
		}
		return nil
	})
}

func dumpLogs(t *testing.T, l *Lab) {
	t.Helper()
	entries, _ := os.ReadDir(l.LogDir())
	for _, e := range entries {
		t.Logf("--- %s (tail)\n%s", e.Name(), logTail(filepath.Join(l.LogDir(), e.Name()), 20))
	}
}

func createEcho(ctx context.Context, cs kubernetes.Interface, replicas int32) error {
	return createEchoImage(ctx, cs, replicas, DrillLatestImage)
}

// createEchoImage creates the echo Deployment and its NodePort Service with
// the given image of drill.
func createEchoImage(ctx context.Context, cs kubernetes.Interface, replicas int32, image string) error {
	labels := map[string]string{"app": "echo"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:    "echo",
						Image:   image,
						Command: []string{"drill", "echo", "--listen", ":8080"},
						Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
							FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
						Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
							PeriodSeconds: 1,
						},
					}},
				},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create deployment: %w", err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeNodePort,
			Selector: labels,
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create service: %w", err)
	}
	return nil
}

// waitRollout waits like `kubectl rollout status`: the new generation is
// observed, all replicas updated and available, no old replicas left.
func waitRollout(ctx context.Context, cs kubernetes.Interface, ns, name string, want int32) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	last := ""
	for {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			s := d.Status
			last = fmt.Sprintf("generation %d/%d, replicas %d, updated %d, available %d", s.ObservedGeneration, d.Generation, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas)
			if s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want {
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deployment %s/%s not rolled out (%s): %w", ns, name, last, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// vpcHTTPClient makes one new connection per request from inside the given
// lab namespace (the VPC namespace unless a test says otherwise).
func vpcHTTPClient(netns string) *http.Client {
	nsPath := filepath.Join(netnsDir, netns)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return dialRelayTarget(ctx, nsPath, addr)
			},
		},
	}
}

func get(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	// Drain the body so a kept-alive connection is reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b := resp.Header.Get("X-Drill-Backend")
	if b == "" {
		return "", fmt.Errorf("GET %s: no X-Drill-Backend header", url)
	}
	return b, nil
}

func retry(ctx context.Context, d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func getenvBinaries() (drill, kube string) {
	return os.Getenv(EnvDrillBinary), os.Getenv(EnvKubeBinary)
}

func isRoot() bool { return os.Geteuid() == 0 }
