package ingress

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
	"github.com/drillkit/drill/pkg/awslb"
)

func ptr[T any](v T) *T { return &v }

// runController runs a controller for lb on cs until the test ends and
// returns once it has synced, with a context that ends with the test.
func runController(t *testing.T, cs *fake.Clientset, lb *dataplane.LoadBalancer, registrationDelay time.Duration) context.Context {
	t.Helper()
	ctl, err := NewController(Config{Client: cs, LoadBalancer: lb, RegistrationDelay: registrationDelay, Resync: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-ctl.Synced()
	return ctx
}

// eventually waits (up to 10s) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestControllerLogic drives the controller with a fake clientset (pure
// logic: object plumbing) while the targets are real loopback servers.
func TestControllerLogic(t *testing.T) {
	var srvs []*httptest.Server
	for i := 0; i < 2; i++ {
		name := []string{"a", "b"}[i]
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
		t.Cleanup(s.Close)
		srvs = append(srvs, s)
	}
	port := func(s *httptest.Server) int32 { return int32(dataplanetest.Spec(dataplanetest.HostPort(s.URL)).Port) }
	gateName := GroupName("default", "web", "web", 80)
	gate := corev1.PodConditionType(awslb.ReadinessGatePrefix + gateName)
	pod := func(name string, containersReady bool) *corev1.Pod {
		st := corev1.ConditionFalse
		if containersReady {
			st = corev1.ConditionTrue
		}
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec:   corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: gate}}},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.ContainersReady, Status: st}}}}
	}
	// Both endpoints on 127.0.0.1 but different ports: one slice per port.
	slice := func(name string, p int32, pod string, ready bool) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(p)}},
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(ready)},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: pod}}},
		}
	}
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{
			awslb.AnnTargetType: "ip", awslb.AnnTargetGroupAttributes: "deregistration_delay.timeout_seconds=7",
			awslb.AnnHealthCheckPath: "/", awslb.AnnHealthCheckInterval: "2", awslb.AnnHealthCheckTimeout: "1", awslb.AnnHealthyThreshold: "2",
		}},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr("alb"), Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
			Path: "/", PathType: ptr(networkingv1.PathTypePrefix),
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
		}}}}}}},
	}
	other := ing.DeepCopy()
	other.Name, other.Spec.IngressClassName = "nginx", ptr("nginx")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	cs := fake.NewClientset(ing, other, svc, pod("web-a", true), pod("web-b", false),
		slice("web-1", port(srvs[0]), "web-a", false), slice("web-2", port(srvs[1]), "web-b", false))

	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{})
	ctx := runController(t, cs, f.LB, 300*time.Millisecond)

	tg, ok := f.LB.TargetGroup(gateName)
	if !ok {
		t.Fatalf("no target group %s: %v", gateName, f.LB.TargetGroups())
	}
	cfg := tg.Config()
	if cfg.TargetType != "ip" || cfg.DeregistrationDelay != 7*time.Second || cfg.HealthCheck.Interval != 2*time.Second || cfg.Tags["ingress.k8s.aws/stack"] != "default/web" {
		t.Errorf("target group config %+v", cfg)
	}
	if n := len(tg.Targets()); n != 0 {
		t.Errorf("%d targets registered before the registration delay", n)
	}
	// web-a waits only for the gate: registered, becomes healthy, gate set.
	a := dataplanetest.Spec(dataplanetest.HostPort(srvs[0].URL)).Key()
	dataplanetest.WaitState(t, tg, a, dataplane.StateHealthy)
	if len(tg.Targets()) != 1 {
		t.Errorf("targets %v: web-b's containers are not ready, it must not be registered", tg.Targets())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, _ := cs.CoreV1().Pods("default").Get(ctx, "web-a", metav1.GetOptions{})
		if podCondition(p, gate) == corev1.ConditionTrue {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness gate %s never set on web-a: %+v", gate, p.Status.Conditions)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/x"); code != 200 || body != "a" {
		t.Errorf("through the ALB: %d %q", code, body)
	}
	got, _ := cs.NetworkingV1().Ingresses("default").Get(ctx, "web", metav1.GetOptions{})
	lbs := got.Status.LoadBalancer.Ingress
	if len(lbs) != 1 || lbs[0].IP != "127.0.0.1" || len(lbs[0].Ports) != 1 || lbs[0].Ports[0].Port != int32(dataplanetest.Spec(f.LB.Addr()).Port) {
		t.Errorf("ingress status %+v", lbs)
	}
	if got, _ := cs.NetworkingV1().Ingresses("default").Get(ctx, "nginx", metav1.GetOptions{}); len(got.Status.LoadBalancer.Ingress) != 0 {
		t.Error("an Ingress of another class got the ALB's address")
	}
	// web-b's containers become ready: the pod's change alone registers it.
	b := pod("web-b", true)
	if _, err := cs.CoreV1().Pods("default").UpdateStatus(ctx, b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	dataplanetest.WaitState(t, tg, dataplanetest.Spec(dataplanetest.HostPort(srvs[1].URL)).Key(), dataplane.StateHealthy)
	// The endpoint terminates: the target is deregistered and drains.
	term := slice("web-1", port(srvs[0]), "web-a", false)
	term.Endpoints[0].Conditions.Terminating = ptr(true)
	if _, err := cs.DiscoveryV1().EndpointSlices("default").Update(ctx, term, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h := dataplanetest.WaitState(t, tg, a, dataplane.StateDraining)
	if h.Reason != dataplane.ReasonDeregistrationInProgress {
		t.Errorf("draining %+v", h)
	}
	// The Ingress goes away: its target group and rules go too.
	if err := cs.NetworkingV1().Ingresses("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		if _, ok := f.LB.TargetGroup(gateName); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("target group of a deleted Ingress still exists")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/x"); code != 404 {
		t.Errorf("after the Ingress is gone: %d, want 404", code)
	}
}

// TestEventReconcilesOnlyItsIngresses: an EndpointSlice change reconciles
// the Ingress whose backend it serves and no other; a Service that appears
// reconciles the Ingress that names it.
func TestEventReconcilesOnlyItsIngresses(t *testing.T) {
	var ports []int32
	for range 2 {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		t.Cleanup(s.Close)
		ports = append(ports, int32(dataplanetest.Spec(dataplanetest.HostPort(s.URL)).Port))
	}
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{})
	// Both Ingresses already show the ALB's address: no status update
	// reconciles them again.
	status := networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{
		IP: "127.0.0.1", Ports: []networkingv1.IngressPortStatus{{Port: int32(dataplanetest.Spec(f.LB.Addr()).Port), Protocol: corev1.ProtocolTCP}},
	}}}}
	ingress := func(name string) *networkingv1.Ingress {
		return &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: map[string]string{awslb.AnnTargetType: "ip"}},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr("alb"), DefaultBackend: &networkingv1.IngressBackend{
				Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Number: 80}}}},
			Status: status,
		}
	}
	service := func(name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	}
	slice := func(name, service string, port int32) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(port)}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}},
		}
	}
	// b's Service does not exist yet: each reconcile of b reports it.
	cs := fake.NewClientset(ingress("a"), ingress("b"), service("a"), slice("a-1", "a", ports[0]))
	ctx := runController(t, cs, f.LB, 50*time.Millisecond)
	// Counted as the API calls made: the fake clientset stores only the
	// first of several Events with the same generated name.
	failures := func() int {
		n := 0
		for _, a := range cs.Actions() {
			if c, ok := a.(k8stesting.CreateAction); ok {
				if ev, ok := c.GetObject().(*corev1.Event); ok && ev.InvolvedObject.Name == "b" && ev.Reason == "FailedBuildModel" {
					n++
				}
			}
		}
		return n
	}
	if n := failures(); n != 1 {
		t.Fatalf("b reconciled %d times by the start, want once", n)
	}
	tgA, ok := f.LB.TargetGroup(GroupName("default", "a", "a", 80))
	if !ok {
		t.Fatalf("no target group for a: %v", f.LB.TargetGroups())
	}
	if _, err := cs.DiscoveryV1().EndpointSlices("default").Create(ctx, slice("a-2", "a", ports[1]), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a's second endpoint registered", func() bool { return len(tgA.Targets()) == 2 })
	if n := failures(); n != 1 {
		t.Errorf("an EndpointSlice of a's Service reconciled b too (%d reconciles of b)", n)
	}
	if _, err := cs.CoreV1().Services("default").Create(ctx, service("b"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b's target group created once its Service exists", func() bool {
		_, ok := f.LB.TargetGroup(GroupName("default", "b", "b", 80))
		return ok
	})
}

func TestParseAnnotations(t *testing.T) {
	tests := []struct {
		name    string
		ing     map[string]string
		svc     map[string]string
		wantErr []string
		check   func(groupSettings) bool
	}{
		{"defaults", nil, nil, nil, func(s groupSettings) bool { return s.targetType == "instance" && !s.delaySet }},
		{"service overrides ingress", map[string]string{awslb.AnnTargetType: "instance"}, map[string]string{awslb.AnnTargetType: "ip"}, nil, func(s groupSettings) bool { return s.targetType == "ip" }},
		{"delay", map[string]string{awslb.AnnTargetGroupAttributes: "stickiness.enabled=false, deregistration_delay.timeout_seconds=30"}, nil, nil,
			func(s groupSettings) bool { return s.delaySet && s.delay == 30*time.Second }},
		{"every problem at once", map[string]string{awslb.AnnTargetType: "pod", awslb.AnnHealthyThreshold: "0", awslb.AnnHealthCheckInterval: "x",
			awslb.AnnTargetGroupAttributes: "deregistration_delay.timeout_seconds=-1,stickiness.enabled=true,junk"}, nil,
			[]string{"use instance or ip", "healthy-threshold-count \"0\"", "interval-seconds \"x\"", "use 0-3600", "stickiness.enabled=true is not supported", "\"junk\" is not key=value"}, nil},
		{"timeout not below interval", map[string]string{awslb.AnnHealthCheckInterval: "5", awslb.AnnHealthCheckTimeout: "5"}, nil, []string{"below the interval"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseAnnotations(tt.ing, tt.svc)
			if len(tt.wantErr) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if tt.check != nil && !tt.check(s) {
				t.Errorf("settings %+v", s)
			}
		})
	}
}
