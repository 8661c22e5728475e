package kubelet

import (
	"context"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// viewLocked snapshots the pod for status building. Called with w.mu held.
func (w *podWorker) viewLocked(pod *v1.Pod) podView {
	v := podView{SandboxReady: w.sb != nil, HostIP: w.k.cfg.NodeIP, StartTime: w.startTime, InitDone: w.initDone}
	if w.sb != nil {
		v.PodIP = w.sb.IP
	}
	if w.deadlineExceeded {
		running := false
		for _, c := range w.ctrs {
			running = running || c.proc != nil
		}
		if !running {
			v.FailedReason, v.FailedMessage = "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
		}
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
