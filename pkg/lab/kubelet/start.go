package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
)

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
	env, err := containerEnv(pod, spec, podFields{PodIP: w.sb.IP, HostIP: w.k.cfg.NodeIP, Objects: apiObjects{ctx, w.k.client},
		Base: w.kubernetesServiceEnv(ctx)}, w.k.cfg.Lab)
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
	runDir := ""
	if vol := saVolume(pod, spec); vol != nil {
		runDir = filepath.Join(w.dir, "run-"+vol.Name)
		refresh, err := w.writeProjected(ctx, pod, vol, filepath.Join(runDir, saMountPath[len("/var/run"):]))
		if err != nil {
			w.configError(pod, c, "CreateContainerConfigError", fmt.Errorf("volume %s: %w", vol.Name, err))
			return time.Now().Add(2 * time.Second)
		}
		if w.tokenRefresh == nil {
			w.tokenRefresh = map[string]time.Time{}
		}
		w.tokenRefresh[vol.Name] = refresh
	}
	p, err := startProcess(w.sb.Netns, podHostname(pod, w.k.cfg.NodeName), runDir, argv, env, dir, logPath, filepath.Join(w.dir, c.name+".pid"))
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
		t := handlerTarget{podNetns: w.sb.Netns, nodeNetns: w.k.cfg.NodeNetns, podIP: w.sb.IP, container: spec.DeepCopy(), env: env, drillBinary: w.k.cfg.DrillBinary, hostname: podHostname(pod, w.k.cfg.NodeName)}
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

// podHostname is the hostname a pod's processes see, as in a real cluster:
// spec.hostname or the pod name, and the node name for hostNetwork pods.
func podHostname(pod *v1.Pod, nodeName string) string {
	switch {
	case pod.Spec.HostNetwork:
		return nodeName
	case pod.Spec.Hostname != "":
		return pod.Spec.Hostname
	}
	return pod.Name
}
