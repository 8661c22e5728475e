//go:build lab

package alb_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/awslb"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
)

// loadResult counts responses by class while load runs.
type loadResult struct {
	ok, fiveXX, other atomic.Int64
}

// steadyLoad sends GETs from workers keep-alive clients until ctx ends.
func steadyLoad(ctx context.Context, url, host string, workers int) *loadResult {
	r := &loadResult{}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 20 * time.Second}
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				req.Host = host
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						r.other.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200:
					r.ok.Add(1)
				case resp.StatusCode >= 500:
					r.fiveXX.Add(1)
				default:
					r.other.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	go func() { <-ctx.Done(); wg.Wait() }()
	return r
}

// rollout restarts the Deployment (new pod template) and waits until every
// replica is updated and available and no old pod is left.
func rollout(t *testing.T, cs kubernetes.Interface, mutate func(*appsv1.Deployment)) {
	t.Helper()
	ctx := context.Background()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations["drill.dev/restartedAt"] = time.Now().Format(time.RFC3339Nano)
	if mutate != nil {
		mutate(d)
	}
	d, err = cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gen := d.Generation
	poll(t, "rollout complete", func() (bool, string) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		st := d.Status
		pods, _ := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		n := len(pods.Items)
		done := st.ObservedGeneration >= gen && st.UpdatedReplicas == *d.Spec.Replicas && st.AvailableReplicas == *d.Spec.Replicas && st.Replicas == *d.Spec.Replicas && n == int(*d.Spec.Replicas)
		return done, fmt.Sprintf("%+v pods=%d", st, n)
	})
}

// TestLabRollingUpdatePreStop is the field result the lab ALB must
// reproduce: a rolling update under steady load through the ALB produces
// 5xx without a preStop hook, and none with a preStop sleep longer than the
// deregistration propagation (and a grace period above it).
func TestLabRollingUpdatePreStop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "albroll", Nodes: 2})
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	const registrationDelay = 2 * time.Second
	a, err := alb.StartLab(ctx, l, alb.LabConfig{RegistrationDelay: registrationDelay})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	group := ingress.GroupName(ns, "web", "web", 80)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
	}}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dep := deployment(awslb.ReadinessGatePrefix + group)
	dep.Spec.Replicas = ptr.To[int32](3)
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ing := webIngress("web", "", "ip")
	ing.Annotations[awslb.AnnTargetGroupAttributes] = "deregistration_delay.timeout_seconds=3"
	if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	readyPods(t, cs, 3)
	if os.Getenv("ALB_TRACE") != "" {
		stopWatch := a.LB.Watch(func(c dataplane.TargetChange) {
			t.Logf("%s target %s %s>%s removed=%v", c.Time.Format("15:04:05.000"), c.Target.Key(), c.From, c.To, c.Removed)
		})
		defer stopWatch()
		w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err == nil {
			defer w.Stop()
			go func() {
				for ev := range w.ResultChan() {
					if p, ok := ev.Object.(*corev1.Pod); ok {
						var conds []string
						for _, c := range p.Status.Conditions {
							conds = append(conds, string(c.Type)[:5]+"="+string(c.Status))
						}
						t.Logf("%s pod %s %s ip=%s phase=%s deleting=%v %v", time.Now().Format("15:04:05.000"), ev.Type, p.Name, p.Status.PodIP, p.Status.Phase, p.DeletionTimestamp != nil, conds)
					}
				}
			}()
		}
	}

	measure := func(t *testing.T, mutate func(*appsv1.Deployment)) *loadResult {
		lctx, stop := context.WithCancel(ctx)
		defer stop()
		res := steadyLoad(lctx, a.URL()+"/", "", 4)
		time.Sleep(2 * time.Second)
		rollout(t, cs, mutate)
		time.Sleep(3 * time.Second) // old pods finish terminating under load
		stop()
		t.Logf("200: %d, 5xx: %d, other: %d", res.ok.Load(), res.fiveXX.Load(), res.other.Load())
		logErrors(t, a.Endpoints().AccessLog)
		return res
	}
	t.Run("without preStop: 5xx", func(t *testing.T) {
		res := measure(t, nil)
		if res.fiveXX.Load() == 0 {
			t.Errorf("a rolling update without preStop produced no 5xx (%d ok): the ALB keeps routing to a pod for the registration delay after it stops", res.ok.Load())
		}
		if res.ok.Load() == 0 {
			t.Error("no successful request")
		}
	})
	// Add the preStop hook (this rollout itself still stops pods without
	// one: not measured), then measure a rollout of pods that have it.
	rollout(t, cs, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](15)
		d.Spec.Template.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
			Exec: &corev1.ExecAction{Command: []string{"sleep", "8"}}}}
	})
	// Let the ALB settle: the last pods stopped without preStop must be
	// deregistered and drained before measuring.
	tg, ok := a.LB.TargetGroup(group)
	if !ok {
		t.Fatalf("no target group %s", group)
	}
	poll(t, "three healthy targets and nothing draining", func() (bool, string) {
		s, text := states(tg)
		return s[dataplane.StateHealthy] == 3 && len(tg.Health()) == 3, text
	})
	t.Run("with preStop longer than propagation: no 5xx", func(t *testing.T) {
		res := measure(t, nil)
		if n := res.fiveXX.Load(); n != 0 {
			t.Errorf("a rolling update with preStop sleep 8s (registration delay %s, deregistration delay 3s) produced %d 5xx", registrationDelay, n)
		}
		if res.ok.Load() == 0 || res.other.Load() != 0 {
			t.Errorf("ok %d, other %d", res.ok.Load(), res.other.Load())
		}
	})
}

// logErrors logs the access log's 5xx records (and truncates the log so the
// next measurement starts clean).
func logErrors(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	dataplane.ReadAccessLog(f, func(r dataplane.RequestLog) error {
		if r.Status >= 500 && n < 20 {
			n++
			t.Logf("%s %d %s target %s (%s) reused=%v: %s", r.Time.Format("15:04:05.000"), r.Status, r.Outcome, r.Target, r.TargetState, r.ReusedConn, r.Error)
		}
		return nil
	})
	os.Truncate(path, 0)
}
