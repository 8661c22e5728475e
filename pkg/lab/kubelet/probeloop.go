package kubelet

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
)

// probeLoop runs one probe of one container run until ctx ends (the run
// ended). Startup success marks the container started; readiness results
// set ready after successThreshold successes and unready after
// failureThreshold failures; startup or liveness failing failureThreshold
// times in a row stops the container, which then restarts per the pod's
// restartPolicy.
func (w *podWorker) probeLoop(ctx context.Context, pod *v1.Pod, c *ctr, p *process, kind probeKind, pr *v1.Probe, t handlerTarget, grace time.Duration) {
	s := settingsOf(pr)
	if pr.TerminationGracePeriodSeconds != nil && kind != probeReadiness {
		grace = time.Duration(*pr.TerminationGracePeriodSeconds) * time.Second
	}
	sleep := func(d time.Duration) bool {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-tm.C:
			return true
		}
	}
	if !sleep(s.initialDelay) {
		return
	}
	successes, failures := 0, 0
	for {
		w.mu.Lock()
		started := c.started
		w.mu.Unlock()
		if kind == probeStartup || started {
			err := runProbe(ctx, t, pr)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				successes, failures = successes+1, 0
			} else {
				successes, failures = 0, failures+1
				w.event(pod, c, v1.EventTypeWarning, "Unhealthy", "%s probe failed: %v", kind, err)
			}
			if w.applyProbe(ctx, pod, c, p, kind, s, successes, failures, grace) {
				return
			}
		}
		if !sleep(s.period) {
			return
		}
	}
}

// applyProbe applies the counters of a probe to the container; it reports
// whether the probe loop is done.
func (w *podWorker) applyProbe(ctx context.Context, pod *v1.Pod, c *ctr, p *process, kind probeKind, s probeSettings, successes, failures int, grace time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.proc != p {
		return true
	}
	changed := false
	switch kind {
	case probeStartup:
		if successes >= 1 {
			c.started = true
			changed = true
			spec := c.specOf(pod)
			c.ready = spec == nil || spec.ReadinessProbe == nil
			defer w.poke()
			return true
		}
	case probeReadiness:
		if successes >= s.success && !c.ready {
			c.ready, changed = true, true
		}
		if failures >= s.failure && c.ready {
			c.ready, changed = false, true
		}
	}
	if changed {
		w.poke()
	}
	if (kind == probeStartup || kind == probeLiveness) && failures >= s.failure && !c.stopping {
		c.stopping = true
		c.ready = false
		w.poke()
		spec := c.specOf(pod)
		msg := fmt.Sprintf("Container %s failed %s probe, will be restarted", c.name, map[probeKind]string{probeStartup: "startup", probeLiveness: "liveness"}[kind])
		go w.stopContainer(context.WithoutCancel(ctx), pod, c, p, spec, grace, msg)
		return true
	}
	return false
}
