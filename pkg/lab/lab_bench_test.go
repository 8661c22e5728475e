//go:build lab

package lab

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkLabUp measures `lab up` to all nodes Ready with warm binaries.
func BenchmarkLabUp(b *testing.B) {
	drill, kube := benchBinaries(b)
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			root := b.TempDir()
			for i := 0; i < b.N; i++ {
				ctx := context.Background()
				l, err := Up(ctx, Config{Name: "labbench", Nodes: nodes, StateRoot: root, DrillBinary: drill, KubeBinary: kube})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				st, _ := l.Status(ctx)
				b.ReportMetric(float64(st.RSSBytes)/(1<<20), "MiB-RSS")
				if err := l.Down(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkDatapath compares HTTP through a NodePort (kube-proxy DNAT,
// masquerade, conntrack) with HTTP straight to the pod IP, from the VPC
// namespace, over kept-alive and new connections.
func BenchmarkDatapath(b *testing.B) {
	drill, kube := benchBinaries(b)
	ctx := context.Background()
	root := b.TempDir()
	l, err := Up(ctx, Config{Name: "labdp", Nodes: 2, StateRoot: root, DrillBinary: drill, KubeBinary: kube})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Down(ctx) //nolint:errcheck
	cs, err := l.Client()
	if err != nil {
		b.Fatal(err)
	}
	if err := createEcho(ctx, cs, 1); err != nil {
		b.Fatal(err)
	}
	if err := waitRollout(ctx, cs, "default", "echo", 1); err != nil {
		b.Fatal(err)
	}
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
	if err != nil || len(pods.Items) != 1 {
		b.Fatalf("echo pod: %v", err)
	}
	pod := pods.Items[0]
	svc, err := cs.CoreV1().Services("default").Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// The NodePort on the node that does NOT run the pod: the cross-node
	// path an ALB in instance mode takes half the time.
	var other NodePlan
	for _, n := range l.Plan().Nodes {
		if n.Name != pod.Spec.NodeName {
			other = n
		}
	}
	targets := []struct{ name, url string }{
		{"pod-ip", fmt.Sprintf("http://%s:8080/", pod.Status.PodIP)},
		{"nodeport-same-node", fmt.Sprintf("http://%s:%d/", nodeIP(l, pod.Spec.NodeName), svc.Spec.Ports[0].NodePort)},
		{"nodeport-other-node", fmt.Sprintf("http://%s:%d/", other.IP, svc.Spec.Ports[0].NodePort)},
	}
	for _, keep := range []bool{true, false} {
		for _, tg := range targets {
			mode := "keepalive"
			if !keep {
				mode = "new-conn"
			}
			b.Run(tg.name+"/"+mode, func(b *testing.B) {
				c := vpcHTTPClient(l.Plan().VPCNetns)
				c.Transport.(*http.Transport).DisableKeepAlives = !keep
				if err := retry(ctx, 30*time.Second, func() error { _, err := get(ctx, c, tg.url); return err }); err != nil {
					b.Fatal(err)
				}
				b.SetParallelism(4)
				start := time.Now()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						resp, err := c.Get(tg.url)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			})
		}
	}
}

func nodeIP(l *Lab, name string) string {
	for _, n := range l.Plan().Nodes {
		if n.Name == name {
			return n.IP
		}
	}
	return ""
}

func benchBinaries(b *testing.B) (drill, kube string) {
	b.Helper()
	drill, kube = getenvBinaries()
	if drill == "" || kube == "" || executable(drill) != nil || executable(kube) != nil || !isRoot() {
		b.Skipf("needs root, %s and %s", EnvDrillBinary, EnvKubeBinary)
	}
	return drill, kube
}
