//go:build lab

package alb_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/awslb"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
)

const ns = "default"

func webIngress(name, host, targetType string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: map[string]string{
			awslb.AnnTargetType:            targetType,
			awslb.AnnTargetGroupAttributes: "deregistration_delay.timeout_seconds=4",
			awslb.AnnHealthCheckPath:       "/healthz",
			awslb.AnnHealthCheckInterval:   "2",
			awslb.AnnHealthCheckTimeout:    "1",
			awslb.AnnHealthyThreshold:      "2",
			awslb.AnnUnhealthyThreshold:    "2",
		}},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("alb"), Rules: []networkingv1.IngressRule{{Host: host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}}}}},
	}
}

func deployment(gate string) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					ReadinessGates:                []corev1.PodReadinessGate{{ConditionType: corev1.PodConditionType(gate)}},
					Containers: []corev1.Container{{
						Name: "echo", Image: lab.DrillLatestImage, Args: []string{"echo", "--listen", ":8080"},
						Env:   []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
							PeriodSeconds: 1},
					}},
				},
			},
		},
	}
}

// poll waits up to two minutes for cond.
func poll(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last: %s", what, last)
}

func states(tg *dataplane.TargetGroup) (map[dataplane.TargetState]int, string) {
	n := map[dataplane.TargetState]int{}
	var parts []string
	for _, h := range tg.Health() {
		n[h.State]++
		parts = append(parts, h.Target.Key()+"="+string(h.State))
	}
	return n, strings.Join(parts, " ")
}

func hostGet(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", url, host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Drill-Backend")
}

// TestLabALB runs real HTTP through the lab ALB into pods for instance and
// ip targets, scales down and up, and reads the result with the
// aws-sdk-go-v2 client through the lab's ELBv2 API.
func TestLabALB(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "albtest", Nodes: 2})
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	a, err := alb.StartLab(ctx, l, alb.LabConfig{RegistrationDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ipGroup := ingress.GroupName(ns, "web-ip", "web", 80)
	instGroup := ingress.GroupName(ns, "web-inst", "web", 80)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": "web"},
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
	}}
	create := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	create(err)
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, deployment(awslb.ReadinessGatePrefix+ipGroup), metav1.CreateOptions{})
	create(err)
	_, err = cs.NetworkingV1().Ingresses(ns).Create(ctx, webIngress("web-ip", "ip.example", "ip"), metav1.CreateOptions{})
	create(err)
	_, err = cs.NetworkingV1().Ingresses(ns).Create(ctx, webIngress("web-inst", "inst.example", "instance"), metav1.CreateOptions{})
	create(err)

	group := func(name string) *dataplane.TargetGroup {
		var tg *dataplane.TargetGroup
		poll(t, "target group "+name, func() (bool, string) {
			g, ok := a.LB.TargetGroup(name)
			tg = g
			return ok, fmt.Sprint(a.LB.TargetGroups())
		})
		return tg
	}
	ipTG, instTG := group(ipGroup), group(instGroup)
	healthy := func(tg *dataplane.TargetGroup, n int) {
		t.Helper()
		poll(t, fmt.Sprintf("%d healthy targets in %s", n, tg.Name()), func() (bool, string) {
			s, text := states(tg)
			return s[dataplane.StateHealthy] == n && len(tg.Health()) == n, text
		})
	}
	healthy(ipTG, 2)
	healthy(instTG, 2)
	readyPods(t, cs, 2)

	t.Run("ingress status has the ALB address", func(t *testing.T) {
		ing, err := cs.NetworkingV1().Ingresses(ns).Get(ctx, "web-ip", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lbs := ing.Status.LoadBalancer.Ingress
		if len(lbs) != 1 || "http://"+lbs[0].IP+":"+fmt.Sprint(lbs[0].Ports[0].Port) != a.URL() {
			t.Errorf("status %+v, want %s", lbs, a.URL())
		}
	})
	t.Run("traffic through ip and instance targets", func(t *testing.T) {
		for _, host := range []string{"ip.example", "inst.example"} {
			seen := map[string]int{}
			for i := 0; i < 20; i++ {
				code, backend := hostGet(t, a.URL()+"/", host)
				if code != 200 {
					t.Fatalf("%s: status %d", host, code)
				}
				seen[backend]++
			}
			// Instance targets go through kube-proxy, which picks a pod per
			// connection: keep-alive connections may all land on one pod.
			if host == "ip.example" && len(seen) != 2 {
				t.Errorf("%s: backends %v, want both pods", host, seen)
			}
		}
		f, err := os.Open(a.Endpoints().AccessLog)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		nodes := map[string]int{}
		if err := dataplane.ReadAccessLog(f, func(r dataplane.RequestLog) error {
			if r.TargetGroup == instGroup && r.Outcome == dataplane.OutcomeOK {
				nodes[r.Target]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 2 {
			t.Errorf("instance requests by node target %v, want both nodes", nodes)
		}
		for _, h := range ipTG.Health() {
			if !strings.HasPrefix(h.Target.ID, "198.19.") || h.Target.Port != 8080 {
				t.Errorf("ip target %+v: want a pod IP and the container port", h.Target)
			}
		}
		for _, h := range instTG.Health() {
			if !strings.HasPrefix(h.Target.ID, "node-") || !strings.HasPrefix(h.Target.Addr, "198.18.0.1") {
				t.Errorf("instance target %+v: want node name and node IP:NodePort", h.Target)
			}
		}
	})
	t.Run("scale down drains then removes a target; scale up adds one", func(t *testing.T) {
		scale(t, cs, 1)
		poll(t, "one ip target draining", func() (bool, string) {
			s, text := states(ipTG)
			return s[dataplane.StateDraining] == 1 && s[dataplane.StateHealthy] == 1, text
		})
		healthy(ipTG, 1)
		for i := 0; i < 10; i++ {
			if code, _ := hostGet(t, a.URL()+"/", "ip.example"); code != 200 {
				t.Errorf("after scale down: %d", code)
			}
		}
		scale(t, cs, 2)
		poll(t, "a new ip target", func() (bool, string) {
			s, text := states(ipTG)
			return s[dataplane.StateInitial]+s[dataplane.StateHealthy] == 2, text
		})
		healthy(ipTG, 2)
		readyPods(t, cs, 2)
	})
	t.Run("aws-sdk-go-v2 reads the lab", func(t *testing.T) {
		c, err := elbv2.New(ctx, elbv2.Options{Endpoint: a.APIURL()})
		if err != nil {
			t.Fatal(err)
		}
		tgs, err := c.TargetGroupsForIngress(ctx, ns, "web-ip", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(tgs) != 1 || tgs[0].Name != ipGroup || tgs[0].TargetType != "ip" {
			t.Fatalf("target groups %+v", tgs)
		}
		th, err := c.TargetHealthOf(ctx, tgs[0].ARN)
		if err != nil {
			t.Fatal(err)
		}
		if len(th) != 2 || th[0].State != "healthy" || !strings.HasPrefix(th[0].ID, "198.19.") {
			t.Errorf("target health %+v", th)
		}
		if d, err := c.DeregistrationDelay(ctx, tgs[0].ARN); err != nil || d != 4*time.Second {
			t.Errorf("deregistration delay %s %v, want the annotation's 4s", d, err)
		}
	})
}

func scale(t *testing.T, cs kubernetes.Interface, n int32) {
	t.Helper()
	s, err := cs.AppsV1().Deployments(ns).GetScale(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Spec.Replicas = n
	if _, err := cs.AppsV1().Deployments(ns).UpdateScale(context.Background(), "web", s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// readyPods waits for n Ready pods whose target-health gate is True.
func readyPods(t *testing.T, cs kubernetes.Interface, n int) {
	t.Helper()
	poll(t, fmt.Sprintf("%d ready pods", n), func() (bool, string) {
		pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err.Error()
		}
		ready := 0
		var text []string
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				continue
			}
			r, gate := false, false
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					r = true
				}
				if strings.HasPrefix(string(c.Type), awslb.ReadinessGatePrefix) && c.Status == corev1.ConditionTrue {
					gate = true
				}
			}
			if r && gate {
				ready++
			}
			text = append(text, fmt.Sprintf("%s ready=%v gate=%v", p.Name, r, gate))
		}
		return ready == n, strings.Join(text, "; ")
	})
}
