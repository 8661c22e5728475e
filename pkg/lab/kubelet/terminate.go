package kubelet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// minGraceAfterPreStop is the time a container always gets between SIGTERM
// and SIGKILL, even when its preStop hook used up the grace period (as the
// kubelet does).
const minGraceAfterPreStop = 2 * time.Second

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
		t := handlerTarget{podNetns: w.sb.Netns, nodeNetns: w.k.cfg.NodeNetns, podIP: w.sb.IP, container: spec, env: c.env, drillBinary: w.k.cfg.DrillBinary, hostname: podHostname(pod, w.k.cfg.NodeName)}
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
