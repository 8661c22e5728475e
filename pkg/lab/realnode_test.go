//go:build lab

package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"

	"github.com/drillkit/drill/pkg/cni/vpccni"
)

// readSysctls reads hostSysctls, among them the three the kubelet wants
// changed (kernel.panic, vm.overcommit_memory, kernel.panic_on_oops).
func readSysctls(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range hostSysctls {
		b, err := os.ReadFile("/proc/sys/" + k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = strings.TrimSpace(string(b))
	}
	return out
}

// TestLabKubeletRuntime runs the lab's nodes on the upstream kubelet with
// containerd and runc: drill's image runs as a Deployment that becomes
// Ready, its pods laid out as under the VPC CNI (drill-vpc-cni), a deleted
// pod's veth and address released, and answers on its NodePort from every
// node, its logs and exec work
// through the API server, and a lab whose every process was SIGKILLed is
// still removed completely, leaving the host's sysctls as they were.
func TestLabKubeletRuntime(t *testing.T) {
	t.Parallel()
	drill, _ := requireLab(t)
	before := readSysctls(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l, root := upLab(t, ctx, "kltest", 2, ProxyIPTables)
	name := l.Name()
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("host sysctls shadowed only inside the nodes", func(t *testing.T) {
		if got := readSysctls(t); !equalMaps(got, before) {
			t.Errorf("host sysctls changed by lab up: %v, were %v", got, before)
		}
		n := l.Plan().Nodes[0]
		out := inNetns(t, ctx, n.Netns, "nsenter", "--mount="+l.Plan().nodeMountns(n), "cat", "/proc/sys/kernel/panic", "/proc/sys/vm/overcommit_memory")
		if strings.Fields(out)[0] != "10" || strings.Fields(out)[1] != "1" {
			t.Errorf("node %s sees kernel.panic, vm.overcommit_memory = %q, want 10 and 1", n.Name, out)
		}
	})

	t.Run("each node's kubelet sockets in its own /var/lib", func(t *testing.T) {
		for _, n := range l.Plan().Nodes {
			sock := filepath.Join(l.Plan().nodeDir(n), "varlib", "kubelet", "device-plugins", "kubelet.sock")
			if _, err := os.Stat(sock); err != nil {
				t.Errorf("node %s: the kubelet's device-plugin socket is not in the node's /var/lib: %v", n.Name, err)
			}
		}
	})

	// The :latest tag makes the kubelet pull (policy Always): from the lab
	// registry, the nodes' mirror of ghcr.io.
	if err := createEchoImage(ctx, cs, 2, DrillLatestImage); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := waitRollout(ctx, cs, "default", "echo", 2); err != nil {
		dumpLogs(t, l)
		t.Fatal(err)
	}
	t.Logf("2-replica Deployment of %s available in %s", DrillLatestImage, time.Since(start).Round(10*time.Millisecond))
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
	if err != nil || len(pods.Items) != 2 {
		t.Fatalf("echo pods: %v (%d)", err, len(pods.Items))
	}

	t.Run("pods get addresses of their node's range", func(t *testing.T) {
		for _, p := range pods.Items {
			var node NodePlan
			for _, n := range l.Plan().Nodes {
				if n.Name == p.Spec.NodeName {
					node = n
				}
			}
			if !strings.HasPrefix(p.Status.PodIP, strings.TrimSuffix(node.PodCIDR, "0/24")) {
				t.Errorf("pod %s on %s has IP %q, want one of %s", p.Name, p.Spec.NodeName, p.Status.PodIP, node.PodCIDR)
			}
		}
	})

	t.Run("pods laid out as under the VPC CNI", func(t *testing.T) {
		for _, p := range pods.Items {
			checkVPCCNILayout(t, ctx, l, p)
		}
	})

	t.Run("a deleted pod's veth and address are released", func(t *testing.T) {
		checkPodNetworkCycle(t, ctx, cs, l)
	})

	t.Run("NodePort reaches every pod from every node", func(t *testing.T) {
		// kube-proxy may program the second endpoint a moment after the
		// Deployment is available: ask again until both pods answered.
		err := retry(ctx, 30*time.Second, func() error {
			backends := nodePortBackends(t, ctx, cs, l, l.Plan().Nodes, 20)
			for _, p := range pods.Items {
				if backends[p.Name] == 0 {
					return fmt.Errorf("pod %s got none of 40 NodePort connections: %v", p.Name, backends)
				}
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})

	t.Run("logs through the API server", func(t *testing.T) {
		p := pods.Items[0]
		b, err := cs.CoreV1().Pods("default").GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "drill echo: "+p.Name+" listening on") {
			t.Errorf("logs of %s = %q, want drill echo's start line", p.Name, b)
		}
	})

	t.Run("exec through the API server", func(t *testing.T) {
		p := pods.Items[0]
		got := streamPod(t, ctx, cs, l, p.Name, "exec", &corev1.PodExecOptions{Container: "echo",
			Command: []string{"sh", "-c", "echo exec-$((40+2)) $POD_NAME"}, Stdout: true, Stderr: true}, nil)
		if want := "exec-42 " + p.Name; got != want {
			t.Errorf("exec printed %q, want %q", got, want)
		}
	})

	t.Run("port-forward through the API server", func(t *testing.T) {
		p := pods.Items[1]
		rc, err := l.RESTConfig()
		if err != nil {
			t.Fatal(err)
		}
		transport, upgrader, err := spdy.RoundTripperFor(rc)
		if err != nil {
			t.Fatal(err)
		}
		u := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(p.Name).SubResource("portforward").URL()
		dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, "POST", u)
		stop, ready := make(chan struct{}), make(chan struct{})
		defer close(stop)
		fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:8080"}, stop, ready, io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = fw.ForwardPorts() }()
		select {
		case <-ready:
		case <-ctx.Done():
			t.Fatal("port-forward never ready")
		}
		ports, err := fw.GetPorts()
		if err != nil || len(ports) != 1 {
			t.Fatalf("forwarded ports %v: %v", ports, err)
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[0].Local))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Drill-Backend"); got != p.Name {
			t.Errorf("port-forwarded request answered by %q, want %s", got, p.Name)
		}
	})

	t.Run("attach and cp through the API server", func(t *testing.T) {
		pod := oncePod("attach", l.Plan().Nodes[0].Name, DrillImage)
		pod.Spec.Containers[0].Command = []string{"sh", "-c", "while read line; do echo got $line; done"}
		pod.Spec.Containers[0].Stdin, pod.Spec.Containers[0].StdinOnce = true, true
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := retry(ctx, time.Minute, func() error {
			p, err := cs.CoreV1().Pods("default").Get(ctx, pod.Name, metav1.GetOptions{})
			if err == nil && p.Status.Phase != corev1.PodRunning {
				err = fmt.Errorf("pod %s is %s", pod.Name, p.Status.Phase)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// kubectl cp runs tar in the container through exec.
		tarOut := streamPod(t, ctx, cs, l, pod.Name, "exec", &corev1.PodExecOptions{Container: "main",
			Command: []string{"sh", "-c", "tar -cf - -C /usr/local/bin drill | tar -tf -"}, Stdout: true, Stderr: true}, nil)
		if tarOut != "drill" {
			t.Errorf("tar through exec listed %q, want drill", tarOut)
		}
		// The runtime may connect stdin before stdout, so a line read at
		// once can be answered before anyone listens: say hello until the
		// answer is heard, then close stdin, which ends the container.
		heard := newWatchWriter("got hello")
		stdin, say := io.Pipe()
		go func() {
			defer say.Close()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, err := say.Write([]byte("hello\n")); err != nil {
					return
				}
				select {
				case <-heard.seen:
					return
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
		out := streamPod(t, ctx, cs, l, pod.Name, "attach", &corev1.PodAttachOptions{Container: "main", Stdin: true, Stdout: true, Stderr: true},
			stdin, heard)
		stdin.Close()
		lines := strings.Split(out, "\n")
		if slices.ContainsFunc(lines, func(l string) bool { return strings.TrimSpace(l) != "got hello" }) {
			t.Errorf("attach printed %q, want lines of %q", out, "got hello")
		}
	})

	t.Run("user images from load-image", func(t *testing.T) {
		rb, err := findRuntimeBinaries(drill)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		oci, docker := filepath.Join(dir, "oci.tar"), filepath.Join(dir, "docker.tar")
		writeOCIArchive(t, oci, "example.com/user/oci:v1", userImage(t, rb.Busybox, runtime.GOARCH, "echo", "oci image ran"))
		writeDockerArchive(t, docker, "example.com/user/docker:v1", userImage(t, rb.Busybox, runtime.GOARCH, "echo", "docker image ran"))
		bad := filepath.Join(dir, "bad.tar")
		if err := os.WriteFile(bad, []byte("no image"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := l.LoadImages(ctx, oci, bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("LoadImages with a bad archive: %v, want an error naming it", err)
		}
		names, err := l.LoadImages(ctx, oci, docker)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, "example.com/user/oci:v1") || !slices.Contains(names, "example.com/user/docker:v1") {
			t.Errorf("LoadImages = %v, want both images", names)
		}
		for img, want := range map[string]string{"example.com/user/oci:v1": "oci image ran", "example.com/user/docker:v1": "docker image ran"} {
			for _, n := range l.Plan().Nodes {
				if got := runPodOnce(t, ctx, cs, n.Name, img); got != want {
					t.Errorf("pod of %s on %s printed %q, want %q", img, n.Name, got, want)
				}
			}
		}
	})

	t.Run("an absent image gets the kubelet's ErrImageNeverPull", func(t *testing.T) {
		pod := oncePod("absent", l.Plan().Nodes[0].Name, "example.com/user/absent:v1")
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := retry(ctx, time.Minute, func() error {
			p, err := cs.CoreV1().Pods("default").Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, c := range p.Status.ContainerStatuses {
				if w := c.State.Waiting; w != nil && w.Reason == "ErrImageNeverPull" {
					return nil
				}
			}
			return fmt.Errorf("pod %s: %+v, want waiting with ErrImageNeverPull", pod.Name, p.Status.ContainerStatuses)
		})
		if err != nil {
			t.Error(err)
		}
	})

	t.Run("a SIGKILLed lab is removed completely", func(t *testing.T) {
		hs, err := cgroupHierarchies()
		if err != nil {
			t.Fatal(err)
		}
		// Kill every process with the lab marker at once, as a crash of the
		// whole lab would: shims and containers live on.
		for _, pid := range labPIDs(name) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if err := retry(ctx, 10*time.Second, func() error {
			if pids := labPIDs(name); len(pids) > 0 {
				return fmt.Errorf("lab processes %v still alive", pids)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		uniq := map[int]bool{}
		for _, cg := range labCgroups(hs, name) {
			for _, pid := range cgroupPIDs(cg) {
				uniq[pid] = true
			}
		}
		orphans := len(uniq)
		if orphans == 0 {
			t.Fatal("no shim or container process left in the node cgroups after the crash: the test proves nothing")
		}
		t.Logf("%d processes (shims, containers) outlived the crash in the node cgroups", orphans)
		// Lost state, as after a crash that took the state directory's
		// bookkeeping with it.
		_ = os.Remove(filepath.Join(l.Plan().StateDir, "lab.json"))
		_ = os.RemoveAll(filepath.Join(l.Plan().StateDir, "pids"))
		if err := DownIn(ctx, root, name, progressWriter{t}); err != nil {
			t.Fatal(err)
		}
		if left := Leftovers(root, name); len(left) > 0 {
			t.Errorf("after down: %v", left)
		}
		if got := readSysctls(t); !equalMaps(got, before) {
			t.Errorf("host sysctls after down: %v, were %v", got, before)
		}
		if links, err := exec.CommandContext(ctx, "ip", "-o", "link", "show").CombinedOutput(); err != nil {
			t.Error(err)
		} else if strings.Contains(string(links), ": "+vpccni.DefaultVethPrefix) {
			t.Errorf("pod veths in the host namespace after down: %s", links)
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// oncePod is a pod of image on node that runs once and is never pulled.
func oncePod(name, node, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{
			NodeName:      node,
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: image, ImagePullPolicy: corev1.PullNever}},
		},
	}
}

// runPodOnce runs image on node until it exits and returns its logs.
func runPodOnce(t *testing.T, ctx context.Context, cs kubernetes.Interface, node, image string) string {
	t.Helper()
	name := strings.NewReplacer("/", "-", ":", "-", ".", "-").Replace(image) + "-" + node
	if _, err := cs.CoreV1().Pods("default").Create(ctx, oncePod(name, node, image), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := retry(ctx, time.Minute, func() error {
		p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodSucceeded {
			return fmt.Errorf("pod %s is %s: %+v", name, p.Status.Phase, p.Status.ContainerStatuses)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
		return ""
	}
	b, err := cs.CoreV1().Pods("default").GetLogs(name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Error(err)
	}
	return strings.TrimSpace(string(b))
}

// streamPod runs a pod's exec or attach subresource with opts, feeding it
// stdin, and returns its trimmed stdout, also copied to tee as it arrives.
func streamPod(t *testing.T, ctx context.Context, cs kubernetes.Interface, l *Lab, pod, sub string, opts k8sruntime.Object, stdin io.Reader, tee ...io.Writer) string {
	t.Helper()
	rc, err := l.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(pod).SubResource(sub).
		VersionedParams(opts, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(rc, "POST", req.URL())
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	out := io.MultiWriter(append([]io.Writer{&stdout}, tee...)...)
	if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: out, Stderr: &stderr}); err != nil {
		t.Errorf("%s: %v (stderr %q)", sub, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// watchWriter closes seen once what it has been written contains want.
type watchWriter struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	got  []byte
}

func newWatchWriter(want string) *watchWriter {
	return &watchWriter{want: want, seen: make(chan struct{})}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := bytes.Contains(w.got, []byte(w.want))
	w.got = append(w.got, p...)
	if !had && bytes.Contains(w.got, []byte(w.want)) {
		close(w.seen)
	}
	return len(p), nil
}
