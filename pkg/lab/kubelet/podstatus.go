package kubelet

import (
	"fmt"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podView is what the kubelet knows about a pod, from which its status is built.
type podView struct {
	SandboxReady bool
	PodIP        string
	HostIP       string
	StartTime    *metav1.Time
	InitDone     bool
	Init         []v1.ContainerStatus
	Containers   []v1.ContainerStatus
	// FailedReason, when set, fails the pod whatever its containers did
	// (DeadlineExceeded), with FailedMessage.
	FailedReason  string
	FailedMessage string
}

// podPhase derives the pod phase from container states the way the kubelet
// does: Pending until every container has started once, Running while any
// runs or will be restarted, then Succeeded or Failed.
func podPhase(policy v1.RestartPolicy, v podView) v1.PodPhase {
	if v.FailedReason != "" {
		return v1.PodFailed
	}
	if !v.InitDone {
		for _, s := range v.Init {
			if t := s.State.Terminated; t != nil && t.ExitCode != 0 && policy == v1.RestartPolicyNever {
				return v1.PodFailed
			}
		}
		return v1.PodPending
	}
	var waiting, running, stopped, succeeded, failed int
	for _, s := range v.Containers {
		switch {
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			if s.State.Terminated.ExitCode == 0 {
				succeeded++
			} else {
				failed++
			}
		case s.LastTerminationState.Terminated != nil:
			// Waiting to be restarted.
			stopped++
			if s.LastTerminationState.Terminated.ExitCode == 0 {
				succeeded++
			} else {
				failed++
			}
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return v1.PodPending
	case running > 0:
		return v1.PodRunning
	case stopped > 0 && stopped == len(v.Containers):
		switch policy {
		case v1.RestartPolicyAlways, "":
			return v1.PodRunning
		case v1.RestartPolicyOnFailure:
			if failed > 0 {
				return v1.PodRunning
			}
			return v1.PodSucceeded
		default:
			if failed > 0 {
				return v1.PodFailed
			}
			return v1.PodSucceeded
		}
	}
	return v1.PodPending
}

// kubeletConditions returns the pod condition types the kubelet owns.
func kubeletConditions() []v1.PodConditionType {
	return []v1.PodConditionType{v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady}
}

// buildStatus returns pod's new status: the fields the kubelet owns come from
// v, the rest (PodScheduled, readiness gate conditions, QoS class, ...) are
// kept from the pod's current status.
func buildStatus(pod *v1.Pod, v podView, now metav1.Time) v1.PodStatus {
	st := *pod.Status.DeepCopy()
	st.Phase = podPhase(pod.Spec.RestartPolicy, v)
	st.HostIP = v.HostIP
	st.HostIPs = nil
	if v.HostIP != "" {
		st.HostIPs = []v1.HostIP{{IP: v.HostIP}}
	}
	if v.PodIP != "" {
		st.PodIP = v.PodIP
		st.PodIPs = []v1.PodIP{{IP: v.PodIP}}
	}
	if v.StartTime != nil {
		st.StartTime = v.StartTime
	}
	st.InitContainerStatuses = v.Init
	st.ContainerStatuses = v.Containers
	if st.Phase == v1.PodSucceeded || st.Phase == v1.PodFailed {
		st.Reason, st.Message = v.FailedReason, v.FailedMessage
	}

	terminal := st.Phase == v1.PodSucceeded || st.Phase == v1.PodFailed
	mine := map[v1.PodConditionType]v1.PodCondition{}
	cond := func(t v1.PodConditionType, ok bool, reason, msg string) {
		c := v1.PodCondition{Type: t, Status: v1.ConditionFalse, Reason: reason, Message: msg}
		if ok {
			c.Status, c.Reason, c.Message = v1.ConditionTrue, "", ""
		}
		mine[t] = c
	}
	cond(v1.PodReadyToStartContainers, v.SandboxReady && !terminal, "", "")
	initReason, initMsg := "", ""
	if !v.InitDone {
		initReason = "ContainersNotInitialized"
		initMsg = "containers with incomplete status: " + names(v.Init, func(s v1.ContainerStatus) bool {
			return s.State.Terminated == nil || s.State.Terminated.ExitCode != 0
		})
	}
	cond(v1.PodInitialized, v.InitDone, initReason, initMsg)
	unready := names(v.Containers, func(s v1.ContainerStatus) bool { return !s.Ready })
	ctrsReady := v.InitDone && unready == "[]" && len(v.Containers) > 0 && !terminal
	reason, msg := "ContainersNotReady", "containers with unready status: "+unready
	if terminal {
		reason, msg = "PodCompleted", ""
	}
	cond(v1.ContainersReady, ctrsReady, reason, msg)
	ready, readyReason, readyMsg := ctrsReady, reason, msg
	if ctrsReady {
		var missing []string
		for _, g := range pod.Spec.ReadinessGates {
			found := false
			for _, c := range pod.Status.Conditions {
				if c.Type == g.ConditionType {
					found = true
					if c.Status != v1.ConditionTrue {
						missing = append(missing, fmt.Sprintf("corresponding condition of pod readiness gate %q is not True", g.ConditionType))
					}
				}
			}
			if !found {
				missing = append(missing, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist", g.ConditionType))
			}
		}
		if len(missing) > 0 {
			ready, readyReason, readyMsg = false, "ReadinessGatesNotReady", strings.Join(missing, ", ")
		}
	}
	cond(v1.PodReady, ready, readyReason, readyMsg)

	// Merge: keep others' conditions in place, replace ours, keep transition
	// times of unchanged conditions.
	var out []v1.PodCondition
	seen := map[v1.PodConditionType]bool{}
	for _, old := range st.Conditions {
		c, ok := mine[old.Type]
		if !ok {
			out = append(out, old)
			continue
		}
		seen[old.Type] = true
		c.LastTransitionTime = now
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		c.LastProbeTime = old.LastProbeTime
		out = append(out, c)
	}
	for _, t := range kubeletConditions() {
		if !seen[t] {
			c := mine[t]
			c.LastTransitionTime = now
			out = append(out, c)
		}
	}
	st.Conditions = out
	return st
}

// names lists the names of statuses matching pred as "[a b]", sorted.
func names(ss []v1.ContainerStatus, pred func(v1.ContainerStatus) bool) string {
	var n []string
	for _, s := range ss {
		if pred(s) {
			n = append(n, s.Name)
		}
	}
	sort.Strings(n)
	return "[" + strings.Join(n, " ") + "]"
}
