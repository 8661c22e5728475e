//go:build lab

package kubelet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/kubelet"
	"github.com/drillkit/drill/pkg/lab/labtest"
)

// shared is the lab every test of the package runs on (TestMain takes it
// down): 2 nodes whose pods the lab kubelet runs.
var shared = &labtest.Shared{Config: lab.Config{Name: "kubelettest", Nodes: 2, NodeRuntime: lab.RuntimeLab}}

func TestMain(m *testing.M) {
	os.Exit(shared.Down(m.Run()))
}

// kubeletTestLab is the shared lab as the tests read it.
type kubeletTestLab struct {
	l         *lab.Lab
	cs        kubernetes.Interface
	plan      lab.Plan
	nodeIPs   map[string]string
	nodeNetns map[string]string
}

// kubeletLab returns the shared lab, bringing it up for the first test.
func kubeletLab(t *testing.T) kubeletTestLab {
	t.Helper()
	l := shared.Lab(t)
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	k := kubeletTestLab{l: l, cs: cs, plan: l.Plan(), nodeIPs: map[string]string{}, nodeNetns: map[string]string{}}
	for _, n := range k.plan.Nodes {
		k.nodeIPs[n.Name] = n.IP
		k.nodeNetns[n.Name] = n.Netns
	}
	return k
}

// TestLabKubeletNodesRegisteredWithLease: nodes registered with lease.
func TestLabKubeletNodesRegisteredWithLease(t *testing.T) {
	k := kubeletLab(t)
	cs, plan := k.cs, k.plan
	ctx := context.Background()
	for _, n := range plan.Nodes {
		node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if node.Spec.PodCIDR != n.PodCIDR {
			t.Errorf("%s podCIDR %q, want %q", n.Name, node.Spec.PodCIDR, n.PodCIDR)
		}
		ip := ""
		for _, a := range node.Status.Addresses {
			if a.Type == v1.NodeInternalIP {
				ip = a.Address
			}
		}
		if ip != n.IP {
			t.Errorf("%s InternalIP %q, want %q", n.Name, ip, n.IP)
		}
		if node.Labels["kubernetes.io/hostname"] != n.Name || node.Labels["kubernetes.io/os"] != "linux" {
			t.Errorf("%s labels %v", n.Name, node.Labels)
		}
		if node.Status.NodeInfo.KubeletVersion != kubelet.Version {
			t.Errorf("%s kubelet version %q", n.Name, node.Status.NodeInfo.KubeletVersion)
		}
		if p := node.Status.Allocatable.Pods(); p.Value() < 10 {
			t.Errorf("%s allocatable pods %v", n.Name, p)
		}
		lease, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("lease of %s: %v", n.Name, err)
		}
		if lease.Spec.RenewTime == nil || time.Since(lease.Spec.RenewTime.Time) > time.Minute {
			t.Errorf("lease of %s not renewed recently: %v", n.Name, lease.Spec.RenewTime)
		}
	}
}

// TestLabKubeletDeletedNodeRegistersAgain: deleted node registers again.
func TestLabKubeletDeletedNodeRegistersAgain(t *testing.T) {
	k := kubeletLab(t)
	cs, plan := k.cs, k.plan
	ctx := context.Background()
	n := plan.Nodes[len(plan.Nodes)-1]
	old, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "node back and Ready", func() (bool, error) {
		node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil || node.UID == old.UID {
			return false, nil
		}
		for _, c := range node.Status.Conditions {
			if c.Type == v1.NodeReady && c.Status == v1.ConditionTrue {
				return node.Spec.PodCIDR == n.PodCIDR, nil
			}
		}
		return false, nil
	})
	waitFor(t, 60*time.Second, "lease of the new node", func() (bool, error) {
		node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		l, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, n.Name, metav1.GetOptions{})
		return err == nil && len(l.OwnerReferences) == 1 && l.OwnerReferences[0].UID == node.UID, nil
	})
}

// TestLabKubeletEchoDeploymentAnswersOnPodIPs: echo deployment answers on pod IPs.
func TestLabKubeletEchoDeploymentAnswersOnPodIPs(t *testing.T) {
	k := kubeletLab(t)
	l, cs, plan, nodeIPs := k.l, k.cs, k.plan, k.nodeIPs
	ns := namespace(t, cs, "echo")
	ctx := context.Background()
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](4),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "echo"}},
			Template: v1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "echo"}},
				Spec:       v1.PodSpec{Containers: []v1.Container{echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}}, PeriodSeconds: 1})}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "deployment available", func() (bool, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "echo", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 4, err
	})
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seenIPs := map[string]bool{}
	for _, p := range pods.Items {
		if p.Status.Phase != v1.PodRunning || !podReady(&p) {
			t.Errorf("%s phase %s ready %v", p.Name, p.Status.Phase, podReady(&p))
		}
		if p.Status.HostIP != nodeIPs[p.Spec.NodeName] {
			t.Errorf("%s hostIP %s on node %s", p.Name, p.Status.HostIP, p.Spec.NodeName)
		}
		if seenIPs[p.Status.PodIP] {
			t.Errorf("pod IP %s used twice", p.Status.PodIP)
		}
		seenIPs[p.Status.PodIP] = true
		cs0 := p.Status.ContainerStatuses[0]
		if !strings.HasPrefix(cs0.ContainerID, "drill://") || cs0.State.Running == nil || !cs0.Ready || cs0.Started == nil || !*cs0.Started {
			t.Errorf("%s container status %+v", p.Name, cs0)
		}
		pid, _ := strconv.Atoi(strings.TrimPrefix(cs0.ContainerID, "drill://"))
		if env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); err != nil || !bytes.Contains(env, []byte("DRILL_LAB="+l.Name()+"\x00")) {
			t.Errorf("%s process %d does not carry DRILL_LAB=%s (%v)", p.Name, pid, l.Name(), err)
		}
		// From a node namespace (the other node's for half the pods: across the VPC).
		for _, n := range plan.Nodes {
			got, err := backendOf(n.Netns, p.Status.PodIP, 8080)
			if err != nil {
				t.Errorf("GET %s:8080 from %s: %v", p.Status.PodIP, n.Name, err)
			} else if got != p.Name {
				t.Errorf("GET %s:8080 from %s: backend %q, want %q", p.Status.PodIP, n.Name, got, p.Name)
			}
		}
	}
	for _, r := range []string{"Pulled", "Created", "Started"} {
		if !hasEvent(t, cs, ns, pods.Items[0].Name, r) {
			t.Errorf("no %s event for %s", r, pods.Items[0].Name)
		}
	}

	// kubectl rollout restart, then scale to 0 and back.
	rolledOut := func(replicas int32) func() (bool, error) {
		return func() (bool, error) {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "echo", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			st := d.Status
			if st.ObservedGeneration < d.Generation || st.UpdatedReplicas != replicas || st.Replicas != replicas || st.AvailableReplicas != replicas {
				return false, nil
			}
			l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			return err == nil && len(l.Items) == int(replicas), err
		}
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "echo", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "rollout restart complete", rolledOut(4))
	for _, n := range []int32{0, 4} {
		scale := fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)
		if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "echo", types.StrategicMergePatchType, []byte(scale), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Minute, fmt.Sprintf("scaled to %d", n), rolledOut(n))
	}
}

// TestLabKubeletPreStopSleepBoundsDeletion: preStop sleep bounds deletion.
func TestLabKubeletPreStopSleepBoundsDeletion(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "prestop")
	ctx := context.Background()
	c := echoContainer(nil)
	c.Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"sleep", "10"}}}}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "slow"}, Spec: v1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		Containers:                    []v1.Container{c},
	}}
	p := runPod(t, cs, ns, pod)
	pid, _ := strconv.Atoi(strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "drill://"))
	start := time.Now()
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "slow", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 45*time.Second, "pod gone", func() (bool, error) {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, "slow", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	took := time.Since(start)
	t.Logf("deletion with a 10s preStop and 30s grace took %s", took.Round(10*time.Millisecond))
	if took < 9*time.Second || took > 25*time.Second {
		t.Errorf("deletion took %s: want the preStop's ~10s, not 0 and not the 30s grace period", took)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("container process %d still exists after the pod was deleted", pid)
	}
}

// TestLabKubeletShorterGraceAndForceDeletionCutTheWait: shorter grace and force deletion cut the wait.
func TestLabKubeletShorterGraceAndForceDeletionCutTheWait(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "shorter")
	ctx := context.Background()
	mk := func(name string) *v1.Pod {
		c := echoContainer(nil)
		c.Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"sleep", "60"}}}}
		return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PodSpec{
			TerminationGracePeriodSeconds: ptr.To[int64](90),
			Containers:                    []v1.Container{c},
		}}
	}
	gone := func(name string) {
		t.Helper()
		waitFor(t, 30*time.Second, name+" gone", func() (bool, error) {
			_, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	}
	for _, tc := range []struct {
		name  string
		grace int64
	}{{"shortened", 2}, {"forced", 0}} {
		p := runPod(t, cs, ns, mk(tc.name))
		pid, _ := strconv.Atoi(strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "drill://"))
		if err := cs.CoreV1().Pods(ns).Delete(ctx, tc.name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the kubelet is now in the 60 s preStop hook
		if err := cs.CoreV1().Pods(ns).Delete(ctx, tc.name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(tc.grace)}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		gone(tc.name)
		waitFor(t, 15*time.Second, fmt.Sprintf("%s: process %d gone", tc.name, pid), func() (bool, error) { return !alive(pid), nil })
	}
}

// TestLabKubeletActiveDeadlineSecondsFailsThePod: activeDeadlineSeconds fails the pod.
func TestLabKubeletActiveDeadlineSecondsFailsThePod(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "deadline")
	ctx := context.Background()
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "late"}, Spec: v1.PodSpec{
		ActiveDeadlineSeconds: ptr.To[int64](2),
		Containers:            []v1.Container{echoContainer(nil)},
	}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p *v1.Pod
	waitFor(t, 30*time.Second, "Failed", func() (bool, error) {
		var err error
		p, err = cs.CoreV1().Pods(ns).Get(ctx, "late", metav1.GetOptions{})
		return err == nil && p.Status.Phase == v1.PodFailed, err
	})
	st := p.Status.ContainerStatuses[0]
	if p.Status.Reason != "DeadlineExceeded" || st.State.Terminated == nil || st.RestartCount != 0 {
		t.Errorf("reason %q, container %+v: want DeadlineExceeded, terminated, not restarted", p.Status.Reason, st)
	}
	if !hasEvent(t, cs, ns, "late", "DeadlineExceeded") {
		t.Error("no DeadlineExceeded event")
	}
}

// TestLabKubeletCrashingContainerExitCodeAndRestarts: crashing container exit code and restarts.
func TestLabKubeletCrashingContainerExitCodeAndRestarts(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "crash")
	ctx := context.Background()
	args := []string{"validate", "/nonexistent/scenario.yaml"}
	want := exec.Command(os.Getenv("DRILL_BIN"), args...).Run()
	var ee *exec.ExitError
	if !errors.As(want, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("drill %v must fail for this test, got %v", args, want)
	}
	code := int32(ee.ExitCode())
	mk := func(name string, policy v1.RestartPolicy) *v1.Pod {
		return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PodSpec{
			RestartPolicy: policy,
			Containers: []v1.Container{{Name: "main", Image: "drill", Args: args,
				TerminationMessagePolicy: v1.TerminationMessageFallbackToLogsOnError}},
		}}
	}
	for _, p := range []*v1.Pod{mk("always", v1.RestartPolicyAlways), mk("never", v1.RestartPolicyNever)} {
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var last *v1.Pod
	waitFor(t, 60*time.Second, "restartCount >= 2", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "always", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, err
		}
		last = p
		return p.Status.ContainerStatuses[0].RestartCount >= 2, nil
	})
	st := last.Status.ContainerStatuses[0]
	if term := st.LastTerminationState.Terminated; term == nil || term.ExitCode != code || term.Reason != "Error" {
		t.Errorf("always: last termination %+v, want exit code %d", term, code)
	}
	if last.Status.Phase != v1.PodRunning {
		t.Errorf("always: phase %s, want Running (crash looping)", last.Status.Phase)
	}
	if !hasEvent(t, cs, ns, "always", "BackOff") {
		t.Error("always: no BackOff event")
	}
	// kubectl logs --previous, through the API server and the kubelet's server.
	logs, err := cs.CoreV1().Pods(ns).GetLogs("always", &v1.PodLogOptions{Container: "main", Previous: true}).DoRaw(ctx)
	if err != nil || !strings.Contains(string(logs), "/nonexistent/scenario.yaml") {
		t.Errorf("always: previous logs %q, %v", logs, err)
	}
	waitFor(t, 30*time.Second, "never: Failed", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "never", metav1.GetOptions{})
		last = p
		return err == nil && p.Status.Phase == v1.PodFailed, err
	})
	st = last.Status.ContainerStatuses[0]
	if st.State.Terminated == nil || st.State.Terminated.ExitCode != code || st.RestartCount != 0 {
		t.Fatalf("never: container status %+v, want terminated with %d and no restart", st, code)
	}
	if msg := st.State.Terminated.Message; !strings.Contains(msg, "/nonexistent/scenario.yaml") {
		t.Errorf("never: termination message %q does not hold the log's error", msg)
	}
}

// TestLabKubeletUnsupportedImageWaitsWithReasonAndEvent: unsupported image waits with reason and event.
func TestLabKubeletUnsupportedImageWaitsWithReasonAndEvent(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "image")
	ctx := context.Background()
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: v1.PodSpec{
		Containers: []v1.Container{{Name: "web", Image: "nginx:1.27"}},
	}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p *v1.Pod
	waitFor(t, 30*time.Second, "waiting reason", func() (bool, error) {
		var err error
		p, err = cs.CoreV1().Pods(ns).Get(ctx, "nginx", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, err
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == kubelet.ReasonImageNotRunnable, nil
	})
	if p.Status.Phase != v1.PodPending || p.Status.ContainerStatuses[0].State.Running != nil {
		t.Errorf("phase %s, state %+v: want Pending and never Running", p.Status.Phase, p.Status.ContainerStatuses[0].State)
	}
	waitFor(t, 10*time.Second, "warning event", func() (bool, error) {
		ev, err := events(cs, ns, "nginx")
		for _, e := range ev {
			if e.Type == v1.EventTypeWarning && strings.Contains(e.Message, "only drill") {
				return true, nil
			}
		}
		return false, err
	})
}

// TestLabKubeletProbesFlipReadiness: probes flip readiness.
func TestLabKubeletProbesFlipReadiness(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "probes")
	ctx := context.Background()
	flag := filepath.Join(t.TempDir(), "ready")
	c := echoContainer(&v1.Probe{
		ProbeHandler:  v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"test", "-e", flag}}},
		PeriodSeconds: 1, FailureThreshold: 1,
	})
	// "drill" is not in the container's PATH: it must be mapped to the drill binary.
	c.LivenessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"drill", "version"}}}, PeriodSeconds: 1, FailureThreshold: 1}
	c.StartupProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1, FailureThreshold: 30}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "flip"}, Spec: v1.PodSpec{Containers: []v1.Container{c}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	readyIs := func(want bool) {
		t.Helper()
		waitFor(t, 30*time.Second, fmt.Sprintf("Ready=%v", want), func() (bool, error) {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, "flip", metav1.GetOptions{})
			if err != nil || len(p.Status.ContainerStatuses) == 0 {
				return false, err
			}
			st := p.Status.ContainerStatuses[0]
			return st.State.Running != nil && st.Started != nil && *st.Started && podReady(p) == want && st.Ready == want, nil
		})
	}
	readyIs(false)
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readyIs(true)
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	readyIs(false)
	if !hasEvent(t, cs, ns, "flip", "Unhealthy") {
		t.Error("no Unhealthy event")
	}
	p, err := cs.CoreV1().Pods(ns).Get(ctx, "flip", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rc := p.Status.ContainerStatuses[0].RestartCount; rc != 0 {
		t.Errorf("a passing liveness probe restarted the container %d times", rc)
	}
}

// TestLabKubeletFailingLivenessProbeRestarts: failing liveness probe restarts.
func TestLabKubeletFailingLivenessProbeRestarts(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "liveness")
	ctx := context.Background()
	c := echoContainer(nil)
	c.LivenessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(9999)}}, PeriodSeconds: 1, FailureThreshold: 2}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "dead"}, Spec: v1.PodSpec{TerminationGracePeriodSeconds: ptr.To[int64](2), Containers: []v1.Container{c}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "restart after liveness failures", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "dead", metav1.GetOptions{})
		return err == nil && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount >= 1, err
	})
	if !hasEvent(t, cs, ns, "dead", "Killing") {
		t.Error("no Killing event")
	}
}

// TestLabKubeletReadinessGateHoldsReady: readiness gate holds Ready.
func TestLabKubeletReadinessGateHoldsReady(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "gate")
	ctx := context.Background()
	gate := v1.PodConditionType("drill.dev/registered")
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "gated"}, Spec: v1.PodSpec{
		ReadinessGates: []v1.PodReadinessGate{{ConditionType: gate}},
		Containers:     []v1.Container{echoContainer(nil)},
	}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p *v1.Pod
	waitFor(t, 30*time.Second, "containers ready", func() (bool, error) {
		var err error
		p, err = cs.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
		return err == nil && condStatus(p, v1.ContainersReady) == v1.ConditionTrue, err
	})
	if condStatus(p, v1.PodReady) != v1.ConditionFalse {
		t.Fatalf("pod Ready without its readiness gate: %+v", p.Status.Conditions)
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Status.Conditions = append(p.Status.Conditions, v1.PodCondition{Type: gate, Status: v1.ConditionTrue, LastTransitionTime: metav1.Now()})
		_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "Ready after the gate", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
		return err == nil && condStatus(p, v1.PodReady) == v1.ConditionTrue, err
	})
}

// TestLabKubeletHostNetworkPodUsesTheNodeIP: hostNetwork pod uses the node IP.
func TestLabKubeletHostNetworkPodUsesTheNodeIP(t *testing.T) {
	k := kubeletLab(t)
	cs, nodeIPs, nodeNetns := k.cs, k.nodeIPs, k.nodeNetns
	ns := namespace(t, cs, "hostnet")
	c := echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(18081)}}, PeriodSeconds: 1})
	c.Args = []string{"echo", "--listen", ":18081"}
	c.Ports = nil
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hostnet"}, Spec: v1.PodSpec{HostNetwork: true, Containers: []v1.Container{c}}}
	p := runPod(t, cs, ns, pod)
	if p.Status.PodIP != p.Status.HostIP || p.Status.PodIP != nodeIPs[p.Spec.NodeName] {
		t.Errorf("podIP %s hostIP %s node IP %s", p.Status.PodIP, p.Status.HostIP, nodeIPs[p.Spec.NodeName])
	}
	got, err := backendOf(nodeNetns[p.Spec.NodeName], p.Status.PodIP, 18081)
	if err != nil || got != "hostnet" {
		t.Errorf("GET node IP:18081: %q, %v", got, err)
	}
}

// TestLabKubeletContainersOfAPodShareItsNetwork: containers of a pod share its network.
func TestLabKubeletContainersOfAPodShareItsNetwork(t *testing.T) {
	k := kubeletLab(t)
	cs, nodeNetns := k.cs, k.nodeNetns
	ns := namespace(t, cs, "multi")
	tcp := func(port int32) *v1.Probe {
		return &v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(port)}}, PeriodSeconds: 1}
	}
	a := echoContainer(tcp(8080))
	a.Name = "a"
	a.Args = []string{"echo", "--listen", ":8080", "--name", "a"}
	b := echoContainer(tcp(8081))
	b.Name = "b"
	b.Args = []string{"echo", "--listen", ":8081"} // names itself after its hostname: the pod's
	b.Env = nil
	b.Ports = nil
	p := runPod(t, cs, ns, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "two"}, Spec: v1.PodSpec{Containers: []v1.Container{a, b}}})
	for port, want := range map[int]string{8080: "a", 8081: "two"} {
		if got, err := backendOf(nodeNetns[p.Spec.NodeName], p.Status.PodIP, port); err != nil || got != want {
			t.Errorf("port %d: %q (%v), want %q", port, got, err, want)
		}
	}
	if len(p.Status.ContainerStatuses) != 2 {
		t.Fatalf("container statuses %+v", p.Status.ContainerStatuses)
	}
}

// TestLabKubeletInClusterCredentialsLikeARealPod: in-cluster credentials like a real pod.
func TestLabKubeletInClusterCredentialsLikeARealPod(t *testing.T) {
	k := kubeletLab(t)
	l, cs := k.l, k.cs
	ns := namespace(t, cs, "incluster")
	ctx := context.Background()
	_, hostHadSecrets := os.Stat("/run/secrets/kubernetes.io")
	c := echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1})
	p := runPod(t, cs, ns, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "client"}, Spec: v1.PodSpec{Containers: []v1.Container{c}}})
	pid, _ := strconv.Atoi(strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "drill://"))
	// What the container sees at the standard path (its own mount namespace).
	// (/var/run is a symlink to /run; an absolute symlink would resolve in the test's own root.)
	dir := fmt.Sprintf("/proc/%d/root/run/secrets/kubernetes.io/serviceaccount", pid)
	token, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		t.Fatalf("service account token in the container: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "namespace")); err != nil || string(b) != ns {
		t.Errorf("namespace file %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ca.crt")); err != nil || !bytes.Contains(b, []byte("BEGIN CERTIFICATE")) {
		t.Errorf("ca.crt: %v", err)
	}
	svc, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if !bytes.Contains(env, []byte("KUBERNETES_SERVICE_HOST="+svc.Spec.ClusterIP+"\x00")) {
		t.Errorf("KUBERNETES_SERVICE_HOST=%s missing from the container's environment", svc.Spec.ClusterIP)
	}
	// The token authenticates as the pod's service account.
	rc, err := l.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	rc = rest.AnonymousClientConfig(rc)
	rc.BearerToken = string(token)
	sacs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	review, err := sacs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("self subject review with the pod's token: %v", err)
	}
	if want := "system:serviceaccount:" + ns + ":default"; review.Status.UserInfo.Username != want {
		t.Errorf("token user %q, want %q", review.Status.UserInfo.Username, want)
	}
	if _, err := os.Stat("/run/secrets/kubernetes.io"); (err == nil) != (hostHadSecrets == nil) {
		t.Error("the host's /run was changed")
	}
}

// TestLabKubeletInitContainerThenOnFailurePodSucceeds: init container then OnFailure pod succeeds.
func TestLabKubeletInitContainerThenOnFailurePodSucceeds(t *testing.T) {
	k := kubeletLab(t)
	cs, plan := k.cs, k.plan
	ns := namespace(t, cs, "init")
	ctx := context.Background()
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "job"}, Spec: v1.PodSpec{
		RestartPolicy:  v1.RestartPolicyOnFailure,
		InitContainers: []v1.Container{{Name: "first", Image: "drill", Command: []string{"drill", "version"}}},
		Containers:     []v1.Container{{Name: "main", Image: "drill", Args: []string{"version"}}},
	}}
	created, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var p *v1.Pod
	waitFor(t, 30*time.Second, "Succeeded", func() (bool, error) {
		p, err = cs.CoreV1().Pods(ns).Get(ctx, "job", metav1.GetOptions{})
		return err == nil && p.Status.Phase == v1.PodSucceeded, err
	})
	for _, st := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		if term := st.State.Terminated; term == nil || term.ExitCode != 0 || term.Reason != "Completed" || st.RestartCount != 0 {
			t.Errorf("%s: %+v", st.Name, st)
		}
	}
	if condStatus(p, v1.PodInitialized) != v1.ConditionTrue || condStatus(p, v1.PodReady) != v1.ConditionFalse {
		t.Errorf("conditions %+v", p.Status.Conditions)
	}
	init, main := p.Status.InitContainerStatuses[0].State.Terminated, p.Status.ContainerStatuses[0].State.Terminated
	if main.StartedAt.Before(&init.FinishedAt) {
		t.Errorf("main started at %v before the init container finished at %v", main.StartedAt, init.FinishedAt)
	}
	netns := "/run/netns/drill-" + plan.Name + "-p-" + strings.ReplaceAll(string(created.UID), "-", "")[:8]
	waitFor(t, 10*time.Second, "pod network removed", func() (bool, error) {
		_, err := os.Stat(netns)
		return os.IsNotExist(err), nil
	})
}

// TestLabKubeletHttpGetPreStopRunsBeforeSIGTERM: httpGet preStop runs before SIGTERM.
func TestLabKubeletHttpGetPreStopRunsBeforeSIGTERM(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "httphook")
	ctx := context.Background()
	c := echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1})
	c.Args = append(c.Args, "--latency", "3s")
	c.Lifecycle = &v1.Lifecycle{PreStop: &v1.LifecycleHandler{HTTPGet: &v1.HTTPGetAction{Path: "/prestop", Port: intstr.FromInt32(8080)}}}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hooked"}, Spec: v1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		Containers:                    []v1.Container{c},
	}}
	runPod(t, cs, ns, pod)
	start := time.Now()
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "hooked", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 45*time.Second, "pod gone", func() (bool, error) {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, "hooked", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	took := time.Since(start)
	t.Logf("deletion with a 3s httpGet preStop took %s", took.Round(10*time.Millisecond))
	if took < 2500*time.Millisecond || took > 20*time.Second {
		t.Errorf("deletion took %s: want about the hook's 3s", took)
	}
	ev, _ := events(cs, ns, "hooked")
	for _, e := range ev {
		if e.Reason == "FailedPreStopHook" {
			t.Errorf("preStop failed: %s", e.Message)
		}
	}
}

// TestLabKubeletPostStartHookRunsAFailingOneRestarts: postStart hook runs, a failing one restarts.
func TestLabKubeletPostStartHookRunsAFailingOneRestarts(t *testing.T) {
	k := kubeletLab(t)
	cs := k.cs
	ns := namespace(t, cs, "poststart")
	ctx := context.Background()
	marker := filepath.Join(t.TempDir(), "hooked")
	ok := echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"test", "-e", marker}}}, PeriodSeconds: 1})
	ok.Lifecycle = &v1.Lifecycle{PostStart: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"touch", marker}}}}
	runPod(t, cs, ns, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hooked"}, Spec: v1.PodSpec{Containers: []v1.Container{ok}}})

	bad := echoContainer(nil)
	bad.Lifecycle = &v1.Lifecycle{PostStart: &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"false"}}}}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "badhook"}, Spec: v1.PodSpec{TerminationGracePeriodSeconds: ptr.To[int64](2), Containers: []v1.Container{bad}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "restart after a failed postStart", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "badhook", metav1.GetOptions{})
		return err == nil && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount >= 1 && !podReady(p), err
	})
	if !hasEvent(t, cs, ns, "badhook", "FailedPostStartHook") {
		t.Error("no FailedPostStartHook event")
	}
}

// TestLabKubeletEnvFromAConfigMapThatAppearsLater: env from a config map that appears later.
func TestLabKubeletEnvFromAConfigMapThatAppearsLater(t *testing.T) {
	k := kubeletLab(t)
	cs, nodeNetns := k.cs, k.nodeNetns
	ns := namespace(t, cs, "cfgenv")
	ctx := context.Background()
	c := echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1})
	c.Args = []string{"echo", "--listen", ":8080", "--name", "$(BACKEND)-$(POD_NAME)"}
	c.Env = append(c.Env, v1.EnvVar{Name: "BACKEND", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{
		LocalObjectReference: v1.LocalObjectReference{Name: "settings"}, Key: "backend"}}})
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Spec: v1.PodSpec{Containers: []v1.Container{c}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "CreateContainerConfigError", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "cfg", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, err
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "CreateContainerConfigError", nil
	})
	cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"backend": "blue"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p *v1.Pod
	waitFor(t, 30*time.Second, "Ready once the config map exists", func() (bool, error) {
		var err error
		p, err = cs.CoreV1().Pods(ns).Get(ctx, "cfg", metav1.GetOptions{})
		return err == nil && podReady(p), err
	})
	if got, err := backendOf(nodeNetns[p.Spec.NodeName], p.Status.PodIP, 8080); err != nil || got != "blue-cfg" {
		t.Errorf("backend %q (%v), want blue-cfg from the config map and the downward API", got, err)
	}
}

// TestLabKubeletRestartedKubeletCleansAndRerunsItsPods: restarted kubelet cleans and reruns its pods.
// Last: it replaces node-1's kubelet.
func TestLabKubeletRestartedKubeletCleansAndRerunsItsPods(t *testing.T) {
	k := kubeletLab(t)
	l, cs, plan := k.l, k.cs, k.plan
	ns := namespace(t, cs, "restart")
	ctx := context.Background()
	n := plan.Nodes[0]
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "survivor"}, Spec: v1.PodSpec{
		NodeName: n.Name,
		Containers: []v1.Container{echoContainer(&v1.Probe{
			ProbeHandler:  v1.ProbeHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
			PeriodSeconds: 1,
		})},
	}}
	before := runPod(t, cs, ns, pod)
	oldPID, _ := strconv.Atoi(strings.TrimPrefix(before.Status.ContainerStatuses[0].ContainerID, "drill://"))

	// Crash the kubelet, then start a new one as lab up does.
	b, err := os.ReadFile(filepath.Join(plan.StateDir, "pids", "kubelet-"+n.Name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	kpid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(kpid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill kubelet %d: %v", kpid, err)
	}
	logf, err := os.OpenFile(filepath.Join(l.LogDir(), "kubelet-"+n.Name+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("nsenter", "--net=/run/netns/"+n.Netns, "--", os.Getenv("DRILL_BIN"),
		"lab", "kubelet", "--config", filepath.Join(plan.StateDir, "kubelet-"+n.Name+".json"))
	cmd.Env = append(os.Environ(), "DRILL_LAB="+l.Name())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }() // lab down stops it through DRILL_LAB

	var after *v1.Pod
	waitFor(t, 60*time.Second, "pod rerun by the new kubelet", func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "survivor", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, err
		}
		after = p
		st := p.Status.ContainerStatuses[0]
		return st.ContainerID != before.Status.ContainerStatuses[0].ContainerID && st.State.Running != nil && podReady(p), nil
	})
	if rc := after.Status.ContainerStatuses[0].RestartCount; rc != 1 {
		t.Errorf("restartCount %d after a kubelet restart, want 1", rc)
	}
	if alive(oldPID) {
		t.Errorf("the old container process %d survived the kubelet restart", oldPID)
	}
	if got, err := backendOf(n.Netns, after.Status.PodIP, 8080); err != nil || got != "survivor" {
		t.Errorf("rerun pod at %s: %q, %v", after.Status.PodIP, got, err)
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range node.Status.Conditions {
		if c.Type == v1.NodeReady && c.Status != v1.ConditionTrue {
			t.Errorf("node %s not Ready after the kubelet restart: %+v", n.Name, c)
		}
	}
}

// alive reports whether pid is a live process (a zombie is not: after its
// parent kubelet died it may wait for a reaper).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// echoContainer is the echo workload on port 8080 with POD_NAME from the
// downward API.
func echoContainer(readiness *v1.Probe) v1.Container {
	return v1.Container{
		Name:  "echo",
		Image: "ghcr.io/drillkit/drill:latest",
		Args:  []string{"echo", "--listen", ":8080"},
		Env: []v1.EnvVar{{Name: "POD_NAME", ValueFrom: &v1.EnvVarSource{
			FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
		Ports:          []v1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		ReadinessProbe: readiness,
	}
}

// namespace creates a test namespace, deleted when the test ends.
func namespace(t *testing.T, cs kubernetes.Interface, name string) string {
	t.Helper()
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kt-" + name}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// runPod creates pod and waits until it is Running and Ready.
func runPod(t *testing.T, cs kubernetes.Interface, ns string, pod *v1.Pod) *v1.Pod {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var p *v1.Pod
	waitFor(t, 60*time.Second, pod.Name+" Ready", func() (bool, error) {
		var err error
		p, err = cs.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && p.Status.Phase == v1.PodRunning && podReady(p), err
	})
	return p
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	var lastErr error
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, err := cond()
		if err != nil {
			lastErr = err
		}
		return ok, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v (last error: %v)", what, err, lastErr)
	}
}

func podReady(p *v1.Pod) bool { return condStatus(p, v1.PodReady) == v1.ConditionTrue }

func condStatus(p *v1.Pod, c v1.PodConditionType) v1.ConditionStatus {
	for _, x := range p.Status.Conditions {
		if x.Type == c {
			return x.Status
		}
	}
	return ""
}

func events(cs kubernetes.Interface, ns, pod string) ([]v1.Event, error) {
	l, err := cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + pod})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// hasEvent waits briefly for an event with reason about pod.
func hasEvent(t *testing.T, cs kubernetes.Interface, ns, pod, reason string) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ev, _ := events(cs, ns, pod)
		for _, e := range ev {
			if e.Reason == reason {
				return true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// backendOf GETs http://ip:port/ from inside netns and returns the backend
// header of the answer.
func backendOf(netns, ip string, port int) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return kubelet.DialInNetns(ctx, netns, network, addr)
		},
	}}
	resp, err := c.Get(fmt.Sprintf("http://%s/", net.JoinHostPort(ip, strconv.Itoa(port))))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return resp.Header.Get("X-Drill-Backend"), nil
}

// BenchmarkPodReady measures a pod of the echo workload from create to Ready
// (scheduling, pod network, process start, first readiness probe at 1 s
// period) and its deletion with the default grace period (SIGTERM, graceful
// drain) until it is gone from the API.
func BenchmarkPodReady(b *testing.B) {
	cs, err := shared.Lab(b).Client()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ns := &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kt-bench"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	var ready, gone time.Duration
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("bench-%d", i)
		pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.PodSpec{Containers: []v1.Container{
			echoContainer(&v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1}),
		}}}
		start := time.Now()
		if _, err := cs.CoreV1().Pods("kt-bench").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		waitFor(b, time.Minute, name+" Ready", func() (bool, error) {
			p, err := cs.CoreV1().Pods("kt-bench").Get(ctx, name, metav1.GetOptions{})
			return err == nil && podReady(p), err
		})
		ready += time.Since(start)
		start = time.Now()
		if err := cs.CoreV1().Pods("kt-bench").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
		waitFor(b, time.Minute, name+" gone", func() (bool, error) {
			_, err := cs.CoreV1().Pods("kt-bench").Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		gone += time.Since(start)
	}
	b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ms-to-ready/op")
	b.ReportMetric(float64(gone.Milliseconds())/float64(b.N), "ms-to-gone/op")
}
