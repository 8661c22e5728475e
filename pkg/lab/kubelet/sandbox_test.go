//go:build lab

package kubelet

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// testNode creates a throwaway node namespace (198.18.0.11 on a veth inside
// it) and returns a kubelet for it; the namespace is removed at cleanup. It
// needs root: without it the test fails under CI=true and is skipped
// otherwise.
func testNode(tb testing.TB, name string) *kubelet {
	tb.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			tb.Fatal("needs root (network namespaces)")
		}
		tb.Skip("needs root (network namespaces)")
	}
	ctx := context.Background()
	ns := "drill-" + name + "-n1"
	_ = runIP(ctx, "netns", "del", ns)
	for _, args := range [][]string{
		{"netns", "add", ns},
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "link", "add", "n0", "type", "veth", "peer", "name", "n1"},
		{"-n", ns, "addr", "add", "198.18.0.11/16", "dev", "n0"},
		{"-n", ns, "link", "set", "n0", "up"},
		{"-n", ns, "link", "set", "n1", "up"},
	} {
		if err := runIP(ctx, args...); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { _ = runIP(context.Background(), "netns", "del", ns) })
	ip, err := newIPAM("198.19.1.0/24")
	if err != nil {
		tb.Fatal(err)
	}
	return &kubelet{
		cfg: Config{Lab: name, NodeName: "node-1", NodeIP: "198.18.0.11", PodCIDR: "198.19.1.0/24",
			NodeNetns: ns, PodNetnsPrefix: "drill-" + name + "-p-", StateDir: tb.TempDir()},
		log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		ipam: ip,
	}
}

// TestSandboxDatapath wires a pod namespace, serves HTTP inside it and
// reaches it from the node namespace over the veth, then checks teardown
// removes the namespace and the node-side route.
func TestSandboxDatapath(t *testing.T) {
	k := testNode(t, "kbtest")
	ctx := context.Background()
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "d", UID: types.UID("0123abcd-ffff")}}
	ip, err := k.ipam.Allocate(string(pod.UID))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := k.setupSandbox(ctx, pod, ip)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Netns != "drill-kbtest-p-0123abcd" || sb.Veth != "dp0123abcd" || sb.IP != "198.19.1.2" {
		t.Fatalf("sandbox %+v", sb)
	}
	out, err := outputIP(ctx, "-n", sb.Netns, "neigh", "show", gatewayIP)
	if err != nil || !strings.Contains(string(out), "PERMANENT") || !strings.Contains(string(out), vethMAC(string(pod.UID))) {
		t.Errorf("gateway neighbour: %q %v", out, err)
	}

	t.Cleanup(func() { k.teardownSandbox(context.Background(), sb) })

	// A server inside the pod namespace, reached from the node namespace.
	var l net.Listener
	if err := inNetns(sb.Netns, func() (err error) { l, err = net.Listen("tcp", sb.IP+":8080"); return err }); err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-From", r.RemoteAddr) })}
	go hs.Serve(l)
	defer hs.Close()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
		return dialInNetns(ctx, k.cfg.NodeNetns, n, a)
	}}}
	var lastErr error
	for i := 0; i < 50; i++ {
		resp, err := client.Get(fmt.Sprintf("http://%s:8080/", sb.IP))
		if err == nil {
			resp.Body.Close()
			if from := resp.Header.Get("X-From"); !strings.HasPrefix(from, "198.18.0.11:") {
				t.Errorf("request came from %q, want the node address 198.18.0.11", from)
			}
			lastErr = nil
			break
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	if lastErr != nil {
		t.Fatalf("pod not reachable from the node namespace: %v", lastErr)
	}

	k.teardownSandbox(ctx, sb)
	if _, err := os.Stat(netnsPath(sb.Netns)); err == nil {
		t.Error("pod namespace still exists after teardown")
	}
	if out, _ := outputIP(ctx, "-n", k.cfg.NodeNetns, "route", "show", sb.IP+"/32"); len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("node route to the pod left behind: %q", out)
	}
}

// BenchmarkSandbox measures creating and removing one pod network.
func BenchmarkSandbox(b *testing.B) {
	k := testNode(b, "kbbench")
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{UID: types.UID(fmt.Sprintf("%08x-0000", i))}}
		ip, err := k.ipam.Allocate(string(pod.UID))
		if err != nil {
			b.Fatal(err)
		}
		sb, err := k.setupSandbox(ctx, pod, ip)
		if err != nil {
			b.Fatal(err)
		}
		k.teardownSandbox(ctx, sb)
		k.ipam.Release(string(pod.UID))
	}
}
