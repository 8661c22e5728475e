package kubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// minGraceAfterPreStop is the time a container always gets between SIGTERM
// and SIGKILL, even when its preStop hook used up the grace period (as the
// kubelet does).
const minGraceAfterPreStop = 2 * time.Second

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
	dir        string
	sb         *sandbox
	startTime  *metav1.Time
	initDone   bool
	terminal   bool // the pod finished; nothing more runs
	adopted    bool // state was taken from an earlier kubelet's status
	lastPushed *v1.PodStatus
	sbRetryAt  time.Time
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
			w.adopted = true
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
	initDone := true
	for _, c := range w.ctrs {
		if !c.init {
			continue
		}
		if c.final != nil && c.final.ExitCode == 0 {
			continue
		}
		initDone = false
		if c.proc == nil && c.final == nil {
			want(w.maybeStart(ctx, pod, c))
		}
		break
	}
	w.initDone = initDone
	if initDone {
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
	if pod.DeletionTimestamp != nil || !shouldRestart(pod.Spec.RestartPolicy, c.init, p.exitCode) {
		c.final = term
		return
	}
	c.last = term
	wait, next := w.k.backoff.delay(c.backoff, p.finished.Sub(p.started))
	c.backoff = next
	c.nextStart = p.finished.Add(wait)
}

// maybeStart starts c unless it is backing off or cannot run; it returns
// when to try again (zero: not before the next change). Called with w.mu held.
func (w *podWorker) maybeStart(ctx context.Context, pod *v1.Pod, c *ctr) time.Time {
	spec := c.specOf(pod)
	if spec == nil {
		return time.Time{}
	}
	if now := time.Now(); now.Before(c.nextStart) && c.last != nil {
		c.waitingReason = "CrashLoopBackOff"
		c.waitingMsg = fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", c.nextStart.Sub(c.last.FinishedAt.Time).Round(time.Second), c.name, pod.Name, pod.Namespace, pod.UID)
		if c.backoffEventAt.Before(c.last.FinishedAt.Time) {
			c.backoffEventAt = now
			w.event(pod, c, v1.EventTypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)", c.name, pod.Name, pod.Namespace, pod.UID)
		}
		return c.nextStart
	} else if now.Before(c.nextStart) {
		return c.nextStart
	}
	env, err := containerEnv(pod, spec, podFields{PodIP: w.sb.IP, HostIP: w.k.cfg.NodeIP, Objects: apiObjects{ctx, w.k.client}}, w.k.cfg.Lab)
	if err != nil {
		// A missing config map or secret may appear: look again soon.
		w.configError(pod, c, "CreateContainerConfigError", err)
		return time.Now().Add(2 * time.Second)
	}
	vars := envMap(env)
	expand := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = expandVars(s, vars)
		}
		return out
	}
	argv, reason, err := containerArgv(spec.Image, expand(spec.Command), expand(spec.Args), w.k.cfg.DrillBinary)
	if err != nil {
		w.configError(pod, c, reason, err)
		return time.Time{}
	}
	dir := spec.WorkingDir
	if dir == "" {
		dir = filepath.Join(w.dir, c.name)
	}
	if err := os.MkdirAll(filepath.Join(w.dir, c.name), 0o755); err != nil {
		w.configError(pod, c, "RunContainerError", err)
		return time.Time{}
	}
	restarts := c.restartCount
	if c.everStarted {
		restarts++
	}
	w.event(pod, c, v1.EventTypeNormal, "Pulled", "Container image %q already present on machine (runs the lab's drill binary)", spec.Image)
	logPath := filepath.Join(w.dir, c.name, strconv.Itoa(int(restarts))+".log")
	p, err := startProcess(w.sb.Netns, argv, env, dir, logPath, filepath.Join(w.dir, c.name+".pid"))
	if err != nil {
		c.waitingReason, c.waitingMsg = "RunContainerError", err.Error()
		w.event(pod, c, v1.EventTypeWarning, "Failed", "Error: %v", err)
		c.nextStart = time.Now().Add(max(c.backoff, time.Second))
		return c.nextStart
	}
	w.event(pod, c, v1.EventTypeNormal, "Created", "Created container: %s", c.name)
	w.event(pod, c, v1.EventTypeNormal, "Started", "Started container %s", c.name)
	w.k.log.Info("container started", "pod", pod.Namespace+"/"+pod.Name, "container", c.name, "pid", p.pid, "log", logPath)
	c.restartCount = restarts
	c.everStarted = true
	c.proc = p
	c.env = env
	c.logPath = logPath
	c.waitingReason, c.waitingMsg, c.lastEventMsg = "", "", ""
	postStart := !c.init && spec.Lifecycle != nil && spec.Lifecycle.PostStart != nil
	c.started = c.init || (spec.StartupProbe == nil && !postStart)
	c.ready = c.started && spec.ReadinessProbe == nil
	runCtx, cancel := context.WithCancel(ctx)
	c.runCancel = cancel
	go func() {
		select {
		case <-p.done:
			w.poke()
		case <-ctx.Done():
		}
	}()
	if !c.init {
		t := handlerTarget{podNetns: w.sb.Netns, nodeNetns: w.k.cfg.NodeNetns, podIP: w.sb.IP, container: spec.DeepCopy(), env: env}
		go w.afterStart(runCtx, pod, c, p, t.container, t, podGrace(pod), postStart)
	}
	return time.Time{}
}

// afterStart runs the container's postStart hook, if any, and then its
// probes. A failing postStart hook stops the container (FailedPostStartHook),
// which then restarts per the pod's restartPolicy.
func (w *podWorker) afterStart(ctx context.Context, pod *v1.Pod, c *ctr, p *process, spec *v1.Container, t handlerTarget, grace time.Duration, postStart bool) {
	if postStart {
		hookCtx, cancel := context.WithTimeout(ctx, grace)
		err := runHook(hookCtx, t, spec.Lifecycle.PostStart)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		if c.proc != p {
			w.mu.Unlock()
			return
		}
		if err != nil {
			w.event(pod, c, v1.EventTypeWarning, "FailedPostStartHook", "PostStartHook failed: %v", err)
			c.stopping, c.ready = true, false
			w.mu.Unlock()
			w.poke()
			go w.stopContainer(context.WithoutCancel(ctx), pod, c, p, spec, grace, fmt.Sprintf("FailedPostStartHook: stopping container %s", c.name))
			return
		}
		c.started = spec.StartupProbe == nil
		c.ready = c.started && spec.ReadinessProbe == nil
		w.mu.Unlock()
		w.poke()
	}
	for kind, pr := range map[probeKind]*v1.Probe{probeStartup: spec.StartupProbe, probeLiveness: spec.LivenessProbe, probeReadiness: spec.ReadinessProbe} {
		if pr != nil {
			go w.probeLoop(ctx, pod, c, p, kind, pr.DeepCopy(), t, grace)
		}
	}
}

// configError marks c as unable to start, reporting reason once per message.
// Called with w.mu held.
func (w *podWorker) configError(pod *v1.Pod, c *ctr, reason string, err error) {
	c.waitingReason, c.waitingMsg = reason, err.Error()
	if c.lastEventMsg != c.waitingMsg {
		c.lastEventMsg = c.waitingMsg
		w.event(pod, c, v1.EventTypeWarning, "Failed", "Error: %s: %v", reason, err)
		w.k.log.Warn("container cannot start", "pod", pod.Namespace+"/"+pod.Name, "container", c.name, "reason", reason, "err", err)
	}
}

// podGrace is the pod's termination grace period.
func podGrace(pod *v1.Pod) time.Duration {
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

// viewLocked snapshots the pod for status building. Called with w.mu held.
func (w *podWorker) viewLocked(pod *v1.Pod) podView {
	v := podView{SandboxReady: w.sb != nil, HostIP: w.k.cfg.NodeIP, StartTime: w.startTime, InitDone: w.initDone}
	if w.sb != nil {
		v.PodIP = w.sb.IP
	}
	images := map[string]string{}
	for _, c := range pod.Spec.InitContainers {
		images["i/"+c.Name] = c.Image
	}
	for _, c := range pod.Spec.Containers {
		images["c/"+c.Name] = c.Image
	}
	for _, c := range w.ctrs {
		if c.init {
			v.Init = append(v.Init, c.status(images["i/"+c.name]))
		} else {
			v.Containers = append(v.Containers, c.status(images["c/"+c.name]))
		}
	}
	return v
}

// pushStatus posts the pod's status through pods/status when it changed. It
// reports false when the status could not be written (and should be retried).
func (w *podWorker) pushStatus(ctx context.Context, pod *v1.Pod) bool {
	w.mu.Lock()
	view := w.viewLocked(pod)
	w.mu.Unlock()
	st := buildStatus(pod, view, metav1.Now())
	if w.lastPushed != nil && statusEqual(st, *w.lastPushed) {
		return true
	}
	pods := w.k.client.CoreV1().Pods(pod.Namespace)
	cur := pod
	for attempt := 0; attempt < 5; attempt++ {
		upd := cur.DeepCopy()
		upd.Status = buildStatus(cur, view, metav1.Now())
		_, err := pods.UpdateStatus(ctx, upd, metav1.UpdateOptions{})
		if err == nil {
			w.lastPushed = &upd.Status
			return true
		}
		if apierrors.IsNotFound(err) || ctx.Err() != nil {
			return true
		}
		if !apierrors.IsConflict(err) {
			w.k.log.Warn("pod status update failed", "pod", pod.Namespace+"/"+pod.Name, "err", err)
			return false
		}
		fresh, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && fresh.UID != pod.UID) {
			return true
		}
		if err != nil {
			return false
		}
		cur = fresh
	}
	return false
}

// statusEqual compares two pod statuses ignoring condition timestamps.
func statusEqual(a, b v1.PodStatus) bool {
	strip := func(s v1.PodStatus) v1.PodStatus {
		s = *s.DeepCopy()
		for i := range s.Conditions {
			s.Conditions[i].LastTransitionTime = metav1.Time{}
			s.Conditions[i].LastProbeTime = metav1.Time{}
		}
		return s
	}
	return apiequality.Semantic.DeepEqual(strip(a), strip(b))
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

// stopContainer stops p: preStop hook (regular containers), SIGTERM, then
// SIGKILL once the grace period (counting the hook's time, at least
// minGraceAfterPreStop after SIGTERM when a hook ran) is over or kill is
// cancelled. It returns after the process was reaped.
func (w *podWorker) stopContainer(kill context.Context, pod *v1.Pod, c *ctr, p *process, spec *v1.Container, grace time.Duration, message string) {
	start := time.Now()
	w.event(pod, c, v1.EventTypeNormal, "Killing", "%s", message)
	remaining := grace
	if spec != nil && spec.Lifecycle != nil && spec.Lifecycle.PreStop != nil && !c.init && !p.exited() {
		w.mu.Lock()
		t := handlerTarget{podNetns: w.sb.Netns, nodeNetns: w.k.cfg.NodeNetns, podIP: w.sb.IP, container: spec, env: c.env}
		w.mu.Unlock()
		hookCtx, cancel := context.WithTimeout(kill, grace)
		err := runHook(hookCtx, t, spec.Lifecycle.PreStop)
		cancel()
		if err != nil {
			w.event(pod, c, v1.EventTypeWarning, "FailedPreStopHook", "PreStopHook failed: %v", err)
		}
		remaining = max(grace-time.Since(start), minGraceAfterPreStop)
	}
	if kill.Err() != nil {
		remaining = 0
	}
	p.term()
	timer := time.NewTimer(remaining)
	defer timer.Stop()
	select {
	case <-p.done:
		return
	case <-timer.C:
	case <-kill.Done():
	}
	p.kill()
	<-p.done
}

// terminate runs a graceful deletion: every running container is stopped
// with the deletion grace period, then the pod network is removed and the pod
// deleted with grace 0. It reports whether the worker is done.
func (w *podWorker) terminate(ctx context.Context) bool {
	pod, _ := w.latest()
	grace := podGrace(pod)
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	start := time.Now()
	kill, killNow := context.WithCancel(context.WithoutCancel(ctx))
	defer killNow()
	var wg sync.WaitGroup
	w.mu.Lock()
	for _, c := range w.ctrs {
		if c.proc == nil {
			continue
		}
		p, spec := c.proc, c.specOf(pod)
		if c.runCancel != nil && c.init {
			c.runCancel()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.stopContainer(kill, pod, c, p, spec, grace, "Stopping container "+c.name)
		}()
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var shorter <-chan time.Time
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ctx.Done():
			// The kubelet stops; the lab's teardown removes what still runs.
			return true
		case <-shorter:
			killNow()
		case <-w.wake:
			p, removed := w.latest()
			if removed {
				killNow()
				continue
			}
			if g := p.DeletionGracePeriodSeconds; g != nil {
				if ng := time.Duration(*g) * time.Second; ng < grace {
					grace = ng
					shorter = time.After(max(ng-time.Since(start), 0))
				}
			}
		}
	}
	w.mu.Lock()
	for _, c := range w.ctrs {
		if c.proc != nil && c.proc.exited() {
			w.onExit(pod, c)
		}
		if c.runCancel != nil {
			c.runCancel()
			c.runCancel = nil
		}
	}
	w.mu.Unlock()
	pod, removed := w.latest()
	if !removed {
		w.pushStatus(ctx, pod)
	}
	w.finish(ctx, pod)
	_ = os.RemoveAll(filepath.Join(w.dir, "sandbox.json"))
	if !removed {
		err := w.k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: &pod.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			w.k.log.Warn("pod delete failed", "pod", pod.Namespace+"/"+pod.Name, "err", err)
			return false
		}
	}
	w.k.log.Info("pod terminated", "pod", pod.Namespace+"/"+pod.Name, "took", time.Since(start).Round(time.Millisecond))
	return true
}

// forceStop kills everything at once: the pod vanished from the API.
func (w *podWorker) forceStop(ctx context.Context) {
	w.mu.Lock()
	var procs []*process
	for _, c := range w.ctrs {
		if c.proc != nil {
			procs = append(procs, c.proc)
		}
		if c.runCancel != nil {
			c.runCancel()
			c.runCancel = nil
		}
	}
	w.mu.Unlock()
	for _, p := range procs {
		p.kill()
		<-p.done
	}
	pod, _ := w.latest()
	w.finish(ctx, pod)
}

// logTail returns the last lines of the log at path, at most maxBytes (the
// kubelet's FallbackToLogsOnError termination message).
func logTail(path string, lines, maxBytes int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b strings.Builder
	if writeTail(&b, f, lines) != nil {
		return ""
	}
	out := b.String()
	if len(out) > maxBytes {
		out = out[len(out)-maxBytes:]
	}
	return out
}
