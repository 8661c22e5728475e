package kubelet

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
)

// TestApplyReadinessThresholds feeds probe counters to a container and checks
// readiness follows successThreshold and failureThreshold.
func TestApplyReadinessThresholds(t *testing.T) {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "n"}, Spec: v1.PodSpec{Containers: []v1.Container{{Name: "c"}}}}
	k := &kubelet{recorder: record.NewFakeRecorder(100)}
	w := newPodWorker(k, pod)
	c := w.ctrs[0]
	p := &process{done: make(chan struct{})}
	c.proc, c.started = p, true
	s := probeSettings{success: 2, failure: 3}
	steps := []struct {
		ok        bool
		wantReady bool
	}{
		{true, false}, {true, true}, // two successes make it ready
		{false, true}, {false, true}, {false, false}, // three failures make it unready
		{true, false}, {false, false}, {true, false}, {true, true},
	}
	succ, fail := 0, 0
	for i, st := range steps {
		if st.ok {
			succ, fail = succ+1, 0
		} else {
			succ, fail = 0, fail+1
		}
		if done := w.applyProbe(context.Background(), pod, c, p, probeReadiness, s, succ, fail, 0); done {
			t.Fatalf("step %d: readiness probing must go on", i)
		}
		if c.ready != st.wantReady {
			t.Fatalf("step %d: ready %v, want %v", i, c.ready, st.wantReady)
		}
	}
	// A probe of an older run changes nothing and stops.
	if done := w.applyProbe(context.Background(), pod, c, &process{}, probeReadiness, s, 0, 5, 0); !done || !c.ready {
		t.Fatal("a stale probe must stop without touching the container")
	}
	// Startup success marks the container started (and, without a readiness probe, ready).
	c.started, c.ready = false, false
	if done := w.applyProbe(context.Background(), pod, c, p, probeStartup, s, 1, 0, 0); !done || !c.started || !c.ready {
		t.Fatalf("startup success: done started ready = %v %v %v", done, c.started, c.ready)
	}
}
