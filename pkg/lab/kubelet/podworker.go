package kubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podWorker runs one pod: its sandbox, containers, probes and status. Its
// goroutine is the only one that starts or stops containers.
type podWorker struct {
	k    *kubelet
	uid  types.UID
	wake chan struct{}

	mu      sync.Mutex
	pod     *v1.Pod // latest seen
	removed bool    // the pod is gone from the API
	ctrs    []*ctr

	// Owned by the worker goroutine.
	dir       string
	sb        *sandbox
	startTime *metav1.Time
	initDone  bool
	terminal  bool // the pod finished; nothing more runs
	// deadlineExceeded: activeDeadlineSeconds passed; containers are stopped
	// and not restarted, and the pod fails.
	deadlineExceeded bool
	// tokenRefresh: when each service-account volume's token is renewed.
	tokenRefresh map[string]time.Time
	lastPushed   *v1.PodStatus
	sbRetryAt    time.Time
}

// newPodWorker returns a worker for pod, taking restart counts from its
// current status (a pod left by an earlier kubelet run continues counting).
func newPodWorker(k *kubelet, pod *v1.Pod) *podWorker {
	w := &podWorker{k: k, uid: pod.UID, wake: make(chan struct{}, 1), pod: pod}
	w.dir = filepath.Join(k.cfg.StateDir, "pods", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
	prev := map[string]v1.ContainerStatus{}
	for _, s := range append(append([]v1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		prev[s.Name] = s
	}
	add := func(c v1.Container, init bool) {
		x := &ctr{name: c.Name, init: init}
		if s, ok := prev[c.Name]; ok {
			x.restartCount = s.RestartCount
			x.everStarted = s.State.Running != nil || s.State.Terminated != nil || s.LastTerminationState.Terminated != nil
			x.last = s.LastTerminationState.Terminated
			if t := s.State.Terminated; t != nil && !shouldRestart(pod.Spec.RestartPolicy, init, int(t.ExitCode)) {
				x.final = t
			}
		}
		w.ctrs = append(w.ctrs, x)
	}
	for _, c := range pod.Spec.InitContainers {
		add(c, true)
	}
	for _, c := range pod.Spec.Containers {
		add(c, false)
	}
	w.startTime = pod.Status.StartTime
	return w
}

// update hands the worker a newer pod object.
func (w *podWorker) update(pod *v1.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	w.poke()
}

// remove tells the worker its pod is gone from the API.
func (w *podWorker) remove() {
	w.mu.Lock()
	w.removed = true
	w.mu.Unlock()
	w.poke()
}

// poke wakes the worker goroutine.
func (w *podWorker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// latest returns the newest pod object and whether the pod was removed.
func (w *podWorker) latest() (*v1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.removed
}

// run is the worker goroutine: it syncs the pod on every change until the pod
// is deleted or ctx ends.
func (w *podWorker) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		pod, removed := w.latest()
		if removed {
			w.forceStop(ctx)
			return
		}
		if pod.DeletionTimestamp != nil {
			if w.terminate(ctx) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		next := w.sync(ctx, pod)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			w.stopProbes()
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// podRef is an event reference to the pod or, with a container name, to
// that container.
func (w *podWorker) podRef(pod *v1.Pod, c *ctr) *v1.ObjectReference {
	ref := &v1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID, ResourceVersion: pod.ResourceVersion}
	if c != nil {
		if c.init {
			ref.FieldPath = "spec.initContainers{" + c.name + "}"
		} else {
			ref.FieldPath = "spec.containers{" + c.name + "}"
		}
	}
	return ref
}

// event records an event about pod (and container c when not nil).
func (w *podWorker) event(pod *v1.Pod, c *ctr, typ, reason, format string, args ...any) {
	w.k.recorder.Eventf(w.podRef(pod, c), typ, reason, format, args...)
}

// sync brings the pod towards its spec: sandbox, exits, restarts, init
// order, starts; then posts status. It returns when it next wants to run
// (zero for "on the next change").
func (w *podWorker) sync(ctx context.Context, pod *v1.Pod) time.Time {
	if w.terminal {
		return time.Time{}
	}
	if w.sb == nil {
		if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
			// Finished before this kubelet started: leave it as it is.
			w.terminal = true
			return time.Time{}
		}
		if time.Now().Before(w.sbRetryAt) {
			return w.sbRetryAt
		}
		if err := w.createSandbox(ctx, pod); err != nil {
			w.k.log.Warn("pod sandbox failed", "pod", pod.Namespace+"/"+pod.Name, "err", err)
			w.event(pod, nil, v1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod network: %v", err)
			w.sbRetryAt = time.Now().Add(2 * time.Second)
			w.pushStatus(ctx, pod)
			return w.sbRetryAt
		}
	}

	w.mu.Lock()
	var next time.Time
	want := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, c := range w.ctrs {
		if c.proc != nil && c.proc.exited() {
			w.onExit(pod, c)
		}
	}
	want(w.checkDeadline(ctx, pod))
	want(w.refreshTokens(ctx, pod))
	initDone := true
	for _, c := range w.ctrs {
		if !c.init {
			continue
		}
		if c.final != nil && c.final.ExitCode == 0 {
			continue
		}
		initDone = false
		if c.proc == nil && c.final == nil && !w.deadlineExceeded {
			want(w.maybeStart(ctx, pod, c))
		}
		break
	}
	w.initDone = initDone
	if initDone && !w.deadlineExceeded {
		for _, c := range w.ctrs {
			if !c.init && c.proc == nil && c.final == nil {
				want(w.maybeStart(ctx, pod, c))
			}
		}
	}
	view := w.viewLocked(pod)
	w.mu.Unlock()

	phase := podPhase(pod.Spec.RestartPolicy, view)
	if !w.pushStatus(ctx, pod) {
		// The API server did not take it: try again soon.
		return time.Now().Add(time.Second)
	}
	if phase == v1.PodSucceeded || phase == v1.PodFailed {
		w.finish(ctx, pod)
		return time.Time{}
	}
	return next
}

// createSandbox allocates the pod IP, creates the pod network and records it.
func (w *podWorker) createSandbox(ctx context.Context, pod *v1.Pod) error {
	var ip net.IP
	if !pod.Spec.HostNetwork {
		var err error
		if ip, err = w.k.ipam.Allocate(string(pod.UID)); err != nil {
			return err
		}
	}
	sb, err := w.k.setupSandbox(ctx, pod, ip)
	if err != nil {
		w.k.ipam.Release(string(pod.UID))
		return err
	}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		w.k.teardownSandbox(ctx, sb)
		w.k.ipam.Release(string(pod.UID))
		return fmt.Errorf("pod state dir: %w", err)
	}
	b, _ := json.Marshal(sb)
	if err := os.WriteFile(filepath.Join(w.dir, "sandbox.json"), b, 0o644); err != nil {
		w.k.teardownSandbox(ctx, sb)
		w.k.ipam.Release(string(pod.UID))
		return fmt.Errorf("pod state: %w", err)
	}
	w.sb = &sb
	if w.startTime == nil {
		t := metav1.Now()
		w.startTime = &t
	}
	return nil
}

// onExit records that c's process ended and schedules its restart, if any.
// Called with w.mu held.
func (w *podWorker) onExit(pod *v1.Pod, c *ctr) {
	p := c.proc
	term := terminatedState(p)
	c.proc, c.started, c.ready, c.stopping = nil, false, false, false
	if c.runCancel != nil {
		c.runCancel()
		c.runCancel = nil
	}
	w.k.log.Info("container exited", "pod", pod.Namespace+"/"+pod.Name, "container", c.name, "exitCode", term.ExitCode)
	if spec := c.specOf(pod); spec != nil && term.ExitCode != 0 && spec.TerminationMessagePolicy == v1.TerminationMessageFallbackToLogsOnError {
		term.Message = logTail(c.logPath, 80, 2048)
	}
	if pod.DeletionTimestamp != nil || w.deadlineExceeded || !shouldRestart(pod.Spec.RestartPolicy, c.init, p.exitCode) {
		c.final = term
		return
	}
	c.last = term
	wait, next := w.k.backoff.delay(c.backoff, p.finished.Sub(p.started))
	c.backoff = next
	c.nextStart = p.finished.Add(wait)
}

// podGrace is the pod's termination grace period.
func podGrace(pod *v1.Pod) time.Duration {
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

// stopProbes stops every probe goroutine (the kubelet is stopping).
func (w *podWorker) stopProbes() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.ctrs {
		if c.runCancel != nil {
			c.runCancel()
			c.runCancel = nil
		}
	}
}

// finish releases a pod that reached Succeeded or Failed: no process runs,
// so its network goes and its address is freed.
func (w *podWorker) finish(ctx context.Context, pod *v1.Pod) {
	w.terminal = true
	w.stopProbes()
	if w.sb != nil {
		w.k.teardownSandbox(ctx, *w.sb)
	}
	w.k.ipam.Release(string(pod.UID))
	_ = os.Remove(filepath.Join(w.dir, "sandbox.json"))
}

// checkDeadline enforces spec.activeDeadlineSeconds: once the pod has been
// active that long its containers are stopped (grace period as for a
// deletion, preStop included) and not restarted; the pod then fails with
// reason DeadlineExceeded. It returns when the deadline comes. Called with
// w.mu held.
func (w *podWorker) checkDeadline(ctx context.Context, pod *v1.Pod) time.Time {
	d := pod.Spec.ActiveDeadlineSeconds
	if d == nil || w.startTime == nil || w.deadlineExceeded {
		return time.Time{}
	}
	deadline := w.startTime.Add(time.Duration(*d) * time.Second)
	if time.Now().Before(deadline) {
		return deadline
	}
	w.deadlineExceeded = true
	w.event(pod, nil, v1.EventTypeWarning, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
	for _, c := range w.ctrs {
		if c.proc == nil || c.stopping {
			continue
		}
		c.stopping = true
		go w.stopContainer(context.WithoutCancel(ctx), pod, c, c.proc, c.specOf(pod), podGrace(pod), "Stopping container "+c.name)
	}
	return time.Time{}
}

// refreshTokens rewrites service-account volumes whose token is due (at 80%
// of its lifetime) and returns when the next one is. Called with w.mu held.
func (w *podWorker) refreshTokens(ctx context.Context, pod *v1.Pod) time.Time {
	var next time.Time
	for name, at := range w.tokenRefresh {
		if !at.IsZero() && time.Now().After(at) {
			for i := range pod.Spec.Volumes {
				if v := &pod.Spec.Volumes[i]; v.Name == name && v.Projected != nil {
					r, err := w.writeProjected(ctx, pod, v, filepath.Join(w.dir, "run-"+name, saMountPath[len("/var/run"):]))
					if err != nil {
						w.k.log.Warn("service account token refresh failed", "pod", pod.Namespace+"/"+pod.Name, "err", err)
						r = time.Now().Add(10 * time.Second)
					}
					w.tokenRefresh[name] = r
				}
			}
		}
		if at := w.tokenRefresh[name]; !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}
