//go:build lab

package lab

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// nodeOf is the plan of the node called name.
func nodeOf(t *testing.T, l *Lab, name string) NodePlan {
	t.Helper()
	for _, n := range l.Plan().Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %s in the plan", name)
	return NodePlan{}
}

// inPodNetns runs args in the network namespace of the pod with podIP on
// node n: containerd keeps pod namespaces under its state directory,
// inside the node's mount namespace.
func inPodNetns(t *testing.T, ctx context.Context, l *Lab, n NodePlan, podIP string, args ...string) string {
	t.Helper()
	mnt := "--mount=" + l.Plan().nodeMountns(n)
	found := inNetns(t, ctx, n.Netns, "nsenter", mnt, "--", "find", l.Plan().nodeDir(n, "containerd/state"),
		"-maxdepth", "3", "-path", "*netns/cni-*")
	for _, f := range strings.Fields(found) {
		addrs := inNetns(t, ctx, n.Netns, "nsenter", mnt, "--", "nsenter", "--net="+f, "--", "ip", "-o", "-4", "addr", "show")
		if strings.Contains(addrs, " "+podIP+"/32 ") {
			return inNetns(t, ctx, n.Netns, append([]string{"nsenter", mnt, "--", "nsenter", "--net=" + f, "--"}, args...)...)
		}
	}
	t.Fatalf("no pod network namespace on %s has %s (namespaces %q)", n.Name, podIP, found)
	return ""
}

// hostVeth is the node's veth to podIP, by the node's route to it
// ("<podIP> dev <veth> scope link"); empty if there is none.
func hostVeth(t *testing.T, ctx context.Context, n NodePlan, podIP string) string {
	t.Helper()
	for _, line := range strings.Split(inNetns(t, ctx, n.Netns, "ip", "-4", "route", "show", podIP+"/32"), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == podIP && f[1] == "dev" && f[3] == "scope" && f[4] == "link" {
			return f[2]
		}
	}
	return ""
}

// checkVPCCNILayout checks a running pod's network as the VPC CNI lays it
// out: podIP/32 on eth0, the default route via 169.254.1.1 with a
// permanent neighbour entry holding the host veth's MAC, and the node's
// /32 route to that veth, which has no address.
func checkVPCCNILayout(t *testing.T, ctx context.Context, l *Lab, p corev1.Pod) {
	t.Helper()
	n := nodeOf(t, l, p.Spec.NodeName)
	ip := p.Status.PodIP
	veth := hostVeth(t, ctx, n, ip)
	if veth == "" {
		t.Errorf("node %s has no route %s dev <veth> scope link: %s", n.Name, ip, inNetns(t, ctx, n.Netns, "ip", "-4", "route"))
		return
	}
	if addr := inNetns(t, ctx, n.Netns, "ip", "-4", "addr", "show", "dev", veth); strings.Contains(addr, "inet ") {
		t.Errorf("host veth %s of pod %s has an address: %s", veth, p.Name, addr)
	}
	link := strings.Fields(inNetns(t, ctx, n.Netns, "ip", "-o", "link", "show", "dev", veth))
	i := slices.Index(link, "link/ether")
	if i < 0 || i+1 == len(link) {
		t.Fatalf("no MAC in %q", link)
	}
	mac := link[i+1]
	routes := inPodNetns(t, ctx, l, n, ip, "ip", "-4", "route", "show")
	for _, want := range []string{"default via 169.254.1.1 dev eth0", "169.254.1.1 dev eth0 scope link"} {
		if !strings.Contains(routes, want) {
			t.Errorf("pod %s routes %q lack %q", p.Name, routes, want)
		}
	}
	neigh := inPodNetns(t, ctx, l, n, ip, "ip", "-4", "neigh", "show")
	if want := "169.254.1.1 dev eth0 lladdr " + mac + " PERMANENT"; !strings.Contains(neigh, want) {
		t.Errorf("pod %s neighbours %q lack %q", p.Name, neigh, want)
	}
	t.Logf("pod %s: %s/32 via 169.254.1.1 (lladdr %s PERMANENT), node %s: %s dev %s scope link", p.Name, ip, mac, n.Name, ip, veth)
}

// waitPodRunning waits until the pod is Running with an address.
func waitPodRunning(ctx context.Context, cs kubernetes.Interface, name string) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := retry(ctx, time.Minute, func() error {
		p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			return fmt.Errorf("pod %s is %s with IP %q", name, p.Status.Phase, p.Status.PodIP)
		}
		pod = p
		return nil
	})
	return pod, err
}

// checkPodNetworkCycle deletes a running pod and creates it again: the
// deletion removes its veth and releases its address in host-local's
// store, and the new pod gets an address and the same layout.
func checkPodNetworkCycle(t *testing.T, ctx context.Context, cs kubernetes.Interface, l *Lab) {
	n := l.Plan().Nodes[0]
	pod := oncePod("cnicycle", n.Name, DrillImage)
	pod.Spec.Containers[0].Command = []string{"sleep", "3600"}
	pod.Spec.TerminationGracePeriodSeconds = new(int64)
	var ips []string
	for round := range 2 {
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod.DeepCopy(), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p, err := waitPodRunning(ctx, cs, pod.Name)
		if err != nil {
			t.Fatal(err)
		}
		ips = append(ips, p.Status.PodIP)
		checkVPCCNILayout(t, ctx, l, *p)
		veth := hostVeth(t, ctx, n, p.Status.PodIP)
		allocated := l.Plan().nodeDir(n, "ipam", netnsPrefix(l.Name())+n.Name, p.Status.PodIP)
		if _, err := os.Stat(allocated); err != nil {
			t.Errorf("round %d: host-local has no allocation of %s: %v", round+1, p.Status.PodIP, err)
		}
		if err := cs.CoreV1().Pods("default").Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		err = retry(ctx, time.Minute, func() error {
			if _, err := cs.CoreV1().Pods("default").Get(ctx, pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return fmt.Errorf("pod %s not gone yet (%v)", pod.Name, err)
			}
			if links := inNetns(t, ctx, n.Netns, "ip", "-o", "link", "show"); veth != "" && strings.Contains(links, veth+"@") {
				return fmt.Errorf("veth %s of the deleted pod still on %s", veth, n.Name)
			}
			if _, err := os.Stat(allocated); !os.IsNotExist(err) {
				return fmt.Errorf("address %s of the deleted pod still allocated (%v)", p.Status.PodIP, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round+1, err)
		}
	}
	t.Logf("pod created twice on %s: addresses %v, veth and address released after each deletion", n.Name, ips)
}
