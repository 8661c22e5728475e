//go:build lab

package sample_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drillkit/drill/pkg/cause"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
	"github.com/drillkit/drill/pkg/testenv"
)

// TestTerminationTimingsInLab deletes pods with and without preStop hooks
// on a lab node (the upstream kubelet, containerd, runc) and measures
// their preStop duration and SIGTERM → exit from what the API server
// shows: the pods' deletion and container states, the kubelet's events,
// drill echo's termination message.
func TestTerminationTimingsInLab(t *testing.T) {
	labtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "term", Nodes: 1})
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	grace := int64(10)
	echo := []string{"echo", "--listen", ":8080"}
	pods := map[string]struct {
		args    []string
		preStop *corev1.LifecycleHandler
	}{
		"none":   {echo, nil},
		"sleep":  {echo, &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 2}}},
		"exec":   {echo, &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "2"}}}},
		"silent": {append(echo, "--termination-log", ""), &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "2"}}}},
		"failed": {echo, &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/no/such/hook"}}}},
	}
	for name, p := range pods {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &grace, Containers: []corev1.Container{{
				Name: "web", Image: lab.DrillLatestImage, Args: p.args, Lifecycle: &corev1.Lifecycle{PreStop: p.preStop},
			}}},
		}
		if p.preStop == nil {
			pod.Spec.Containers[0].Lifecycle = nil
		}
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 2*time.Minute, 200*time.Millisecond, "every pod running", func() (bool, string) {
		list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		running := 0
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running == len(pods), "running pods: " + strconv.Itoa(running)
	})

	start := time.Now()
	var mu sync.Mutex
	var events []report.Event
	notify := func(c sample.PodChange) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, report.Event{T: time.Since(start), Time: time.Now(), Kind: report.EventPod, Message: c.Message, Fields: c.Fields()})
	}
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	if err := sample.WatchPods(wctx, cs, "default", notify); err != nil {
		t.Fatal(err)
	}
	if err := sample.WatchKubeletEvents(wctx, cs, "default", notify); err != nil {
		t.Fatal(err)
	}
	for name := range pods {
		if err := cs.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, time.Minute, 200*time.Millisecond, "every pod gone", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		gone := 0
		for _, e := range events {
			if e.Fields[report.FieldChange] == report.PodDeleted {
				gone++
			}
		}
		return gone == len(pods), "deleted: " + strconv.Itoa(gone)
	})
	wcancel()
	mu.Lock()
	defer mu.Unlock()
	seen := map[string]map[string]int{}
	for _, e := range events {
		t.Logf("%7.3fs %s %v", e.T.Seconds(), e.Message, e.Fields)
		p := e.Fields[report.FieldPod]
		if seen[p] == nil {
			seen[p] = map[string]int{}
		}
		seen[p][e.Fields[report.FieldChange]]++
		if e.Fields[report.FieldChange] == report.PodExited {
			hasSigterm := e.Fields[report.FieldSigterm] != ""
			if hasSigterm == (p == "silent") {
				t.Errorf("%s: exit with SIGTERM time %q", p, e.Fields[report.FieldSigterm])
			}
		}
	}
	for name := range pods {
		for _, c := range []string{report.PodTerminating, report.PodKilling, report.PodExited, report.PodDeleted} {
			if seen[name][c] != 1 {
				t.Errorf("%s: %d %s changes, want 1", name, seen[name][c], c)
			}
		}
	}
	if seen["failed"][report.PodPreStopFailed] != 1 {
		t.Errorf("failed: no FailedPreStopHook seen: %v", seen["failed"])
	}

	lc := cause.New(cause.Input{Start: start, Target: report.TargetLab, Events: events}).Lifecycle()
	if lc == nil {
		t.Fatal("no lifecycle timings")
	}
	timings := map[string]map[string]time.Duration{}
	for _, p := range lc.Pods {
		timings[p.Pod] = p.Timings
		t.Logf("%s: %v", p.Pod, p.Timings)
	}
	for _, tm := range lc.Timings {
		t.Logf("%s: %d pods, p50 %v, max %v", tm.Name, tm.Count, tm.P50, tm.Max)
	}
	hook := 2 * time.Second
	graceD := time.Duration(grace) * time.Second
	// The exec hook's start is the Killing event as drill saw it, after the
	// kubelet sent it: the measured hook may be short by its delivery.
	for name, want := range map[string]struct{ min, max time.Duration }{
		"none": {0, 0}, "sleep": {hook, hook}, "exec": {hook - 500*time.Millisecond, graceD}, "failed": {0, hook},
	} {
		d, ok := timings[name][report.TimingPreStopDuration]
		if !ok || d < want.min || d > want.max {
			t.Errorf("%s: prestop_duration %v (measured %v), want %v..%v", name, d, ok, want.min, want.max)
		}
		if e, ok := timings[name][report.TimingSigtermToExit]; !ok || e < 0 || e > graceD {
			t.Errorf("%s: sigterm_to_exit %v (measured %v), want 0..%v", name, e, ok, graceD)
		}
	}
	if d, ok := timings["silent"][report.TimingPreStopDuration]; ok {
		t.Errorf("silent: prestop_duration %v measured, though nothing tells when its hook ended", d)
	}
	if d := timings["silent"][report.TimingShutdown]; d < hook {
		t.Errorf("silent: shutdown %v, shorter than its 2 s hook", d)
	}
}
