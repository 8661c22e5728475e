package ingress

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
	"github.com/drillkit/drill/pkg/awslb"
)

// TestWeightedForwardAction: an Ingress backend that names a forward
// action sends each request to one of the action's Services by weight;
// changing the weights moves the traffic at once, with both target groups
// registered and healthy all along.
func TestWeightedForwardAction(t *testing.T) {
	var ports []int32
	for _, name := range []string{"blue", "green"} {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
		t.Cleanup(s.Close)
		ports = append(ports, int32(dataplanetest.Spec(dataplanetest.HostPort(s.URL)).Port))
	}
	svc := func(name string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	}
	slice := func(service string, port int32) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: service + "-1", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: service}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(port)}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"127.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}}},
		}
	}
	weights := func(blue, green int) string {
		return `{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"blue","servicePort":"80","weight":` +
			itoa(blue) + `},{"serviceName":"green","servicePort":80,"weight":` + itoa(green) + `}]}}`
	}
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", Annotations: map[string]string{
			awslb.AnnTargetType: "ip", awslb.AnnHealthCheckPath: "/", awslb.AnnHealthCheckInterval: "2", awslb.AnnHealthCheckTimeout: "1", awslb.AnnHealthyThreshold: "2",
			awslb.AnnActionPrefix + "blue-green": weights(100, 0),
		}},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr("alb"), DefaultBackend: &networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: "blue-green", Port: networkingv1.ServiceBackendPort{Name: awslb.UseAnnotation}}}},
	}
	cs := fake.NewClientset(ing, svc("blue"), svc("green"), slice("blue", ports[0]), slice("green", ports[1]))
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{})
	ctx := runController(t, cs, f.LB, 100*time.Millisecond)
	for _, name := range []string{"blue", "green"} {
		tg, ok := f.LB.TargetGroup(GroupName("default", "web", name, 80))
		if !ok {
			evs, _ := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
			t.Fatalf("no target group for service %s: %v; events %+v", name, f.LB.TargetGroups(), evs.Items)
		}
		dataplanetest.WaitState(t, tg, dataplanetest.Spec("127.0.0.1:"+itoa(int(ports[map[string]int{"blue": 0, "green": 1}[name]]))).Key(), dataplane.StateHealthy)
	}
	count := func(n int) map[string]int {
		seen := map[string]int{}
		for range n {
			code, body := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/")
			if code != 200 {
				t.Fatalf("status %d (%s)", code, body)
			}
			seen[body]++
		}
		return seen
	}
	if seen := count(20); seen["blue"] != 20 {
		t.Fatalf("weights 100/0: %v, want every request on blue", seen)
	}
	setWeights := func(blue, green int) {
		cur, _ := cs.NetworkingV1().Ingresses("default").Get(ctx, "web", metav1.GetOptions{})
		cur.Annotations[awslb.AnnActionPrefix+"blue-green"] = weights(blue, green)
		if _, err := cs.NetworkingV1().Ingresses("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setWeights(0, 100)
	deadline := time.Now().Add(10 * time.Second)
	for count(1)["green"] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("traffic never moved to green after the weights changed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if seen := count(20); seen["green"] != 20 {
		t.Fatalf("weights 0/100: %v, want every request on green", seen)
	}
	setWeights(1, 1)
	deadline = time.Now().Add(10 * time.Second)
	for {
		seen := count(40)
		if seen["blue"] > 0 && seen["green"] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("weights 1/1: %v, want both services", seen)
		}
	}
	setWeights(0, 0)
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, _ := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("weights 0/0: status %d, want 503", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
