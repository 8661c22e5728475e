package elbv2

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/elbapi"
	"github.com/drillkit/drill/pkg/awslb"
)

type labALB struct {
	lb     *dataplane.LoadBalancer
	web    *dataplane.TargetGroup
	other  *dataplane.TargetGroup
	client *Client
	addrs  []string
}

func target(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func spec(addr string) dataplane.TargetSpec {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return dataplane.TargetSpec{ID: host, Port: p, Addr: addr}
}

// newLab starts a lab ALB with two target groups (one routed, one not) and
// its ELBv2 API, and a client of this package pointed at it.
func newLab(t *testing.T) labALB {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	lb, err := dataplane.Start(ctx, dataplane.Config{Name: "lab-alb", Tags: map[string]string{TagCluster: "lab"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	hc := dataplane.HealthCheck{Path: "/healthz", Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond, HealthyThreshold: 2, UnhealthyThreshold: 2}
	web, err := lb.CreateTargetGroup(dataplane.TargetGroupConfig{Name: "k8s-default-web-0123456789", TargetType: awslb.TargetTypeIP, Port: 8080, HealthCheck: hc, DeregistrationDelay: 30 * time.Second,
		Tags: map[string]string{TagStack: "default/web", TagResource: "default/web-web:80", TagCluster: "lab"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := lb.CreateTargetGroup(dataplane.TargetGroupConfig{Name: "k8s-shop-api-9876543210", HealthCheck: hc, Tags: map[string]string{TagStack: "shop"}})
	if err != nil {
		t.Fatal(err)
	}
	lb.SetRules([]dataplane.Rule{{TargetGroup: web}})
	api, err := elbapi.Serve(ctx, "127.0.0.1:0", lb)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, Options{Endpoint: api.URL()})
	if err != nil {
		t.Fatal(err)
	}
	l := labALB{lb: lb, web: web, other: other, client: c}
	for i := 0; i < 2; i++ {
		l.addrs = append(l.addrs, target(t))
		web.Register(spec(l.addrs[i]))
	}
	return l
}

func TestDiscovery(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	lb, err := l.client.LoadBalancer(ctx, "lab-alb")
	if err != nil {
		t.Fatal(err)
	}
	if lb.ARN != l.lb.ARN() || lb.DNSName != l.lb.Addr() || lb.Type != "application" || lb.State != "active" {
		t.Errorf("load balancer %+v", lb)
	}
	tgs, err := l.client.TargetGroupsOf(ctx, lb.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(tgs) != 1 || tgs[0].ARN != l.web.ARN() || tgs[0].TargetType != "ip" || tgs[0].Port != 8080 || tgs[0].Tags[TagStack] != "default/web" ||
		tgs[0].HealthCheck.Path != "/healthz" || tgs[0].HealthCheck.HealthyThreshold != 2 || tgs[0].HealthCheck.Matcher != "200" || len(tgs[0].LoadBalancers) != 1 {
		t.Errorf("target groups of the load balancer: %+v", tgs)
	}
	tests := []struct {
		name, ns, ing, group string
		want                 string
	}{
		{"own ingress", "default", "web", "", l.web.ARN()},
		{"ingress group", "shop", "api", "shop", l.other.ARN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.client.TargetGroupsForIngress(ctx, tt.ns, tt.ing, tt.group)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ARN != tt.want {
				t.Errorf("got %+v, want %s", got, tt.want)
			}
		})
	}
	if _, err := l.client.TargetGroupsForIngress(ctx, "default", "missing", ""); err == nil || !strings.Contains(err.Error(), "no target group tagged") {
		t.Errorf("missing ingress: %v", err)
	}
	one, err := l.client.TargetGroup(ctx, "k8s-shop-api-9876543210")
	if err != nil || one.ARN != l.other.ARN() || one.Tags[TagStack] != "shop" {
		t.Errorf("target group by name: %+v %v", one, err)
	}
	_, err = l.client.TargetHealthOf(ctx, strings.Replace(l.web.ARN(), "k8s-default", "k8s-nope", 1))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "TargetGroupNotFound" {
		t.Errorf("unknown target group: %v, want the SDK to parse TargetGroupNotFound", err)
	}
}

func TestTargetHealthAndSampling(t *testing.T) {
	l := newLab(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	groups, err := l.client.TargetGroupsForIngress(ctx, "default", "web", "")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []Transition
	var samples int
	done := make(chan error, 1)
	go func() {
		done <- l.client.Watch(ctx, groups, 50*time.Millisecond, func(Sample) { mu.Lock(); samples++; mu.Unlock() }, func(tr Transition) {
			mu.Lock()
			events = append(events, tr)
			mu.Unlock()
		})
	}()
	waitHealth := func(state string, n int) []TargetHealth {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			th, err := l.client.TargetHealthOf(ctx, l.web.ARN())
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for _, h := range th {
				if h.State == state {
					k++
				}
			}
			if k == n {
				return th
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("never %d targets %s", n, state)
		return nil
	}
	th := waitHealth("healthy", 2)
	if th[0].ID != "127.0.0.1" || th[0].Port == 0 {
		t.Errorf("target health %+v", th)
	}
	// Sampling is periodic: let the sampler see the healthy state first.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, e := range events {
			if e.To == "healthy" {
				n++
			}
		}
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sampler never reported both targets healthy")
		}
		time.Sleep(20 * time.Millisecond)
	}
	l.web.Deregister(spec(l.addrs[0]).Key())
	th = waitHealth("draining", 1)
	for _, h := range th {
		if h.State == "draining" && h.Reason != "Target.DeregistrationInProgress" {
			t.Errorf("draining reason %q", h.Reason)
		}
	}
	time.Sleep(150 * time.Millisecond) // at least two more samples
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var seq []string
	for _, e := range events {
		if e.Target == spec(l.addrs[0]).Key() {
			seq = append(seq, e.From+">"+e.To)
		}
	}
	got := strings.Join(seq, " ")
	if !strings.HasSuffix(got, "healthy>draining") || !strings.Contains(got, ">healthy") {
		t.Errorf("transitions of the deregistered target: %q", got)
	}
	if samples < 3 {
		t.Errorf("only %d samples", samples)
	}
}

func TestDeregistrationDelayChangeAndRestore(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	d, err := l.client.DeregistrationDelay(ctx, l.web.ARN())
	if err != nil || d != 30*time.Second {
		t.Fatalf("delay %s %v, want 30s", d, err)
	}
	prev, err := l.client.SetDeregistrationDelay(ctx, l.web.ARN(), 5*time.Second)
	if err != nil || prev != 30*time.Second {
		t.Fatalf("set: previous %s %v", prev, err)
	}
	if got := l.web.Config().DeregistrationDelay; got != 5*time.Second {
		t.Errorf("the ALB applies %s, want 5s", got)
	}
	if _, err := l.client.SetDeregistrationDelay(ctx, l.web.ARN(), prev); err != nil {
		t.Fatal(err)
	}
	if d, _ := l.client.DeregistrationDelay(ctx, l.web.ARN()); d != 30*time.Second {
		t.Errorf("restored delay %s, want 30s", d)
	}
	for _, bad := range []time.Duration{-time.Second, 2 * time.Hour, 1500 * time.Millisecond} {
		if _, err := l.client.SetDeregistrationDelay(ctx, l.web.ARN(), bad); err == nil {
			t.Errorf("delay %s accepted", bad)
		}
	}
}
