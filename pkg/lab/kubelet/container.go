package kubelet

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ctr is the kubelet's state of one container of a pod; guarded by the pod
// worker's mutex.
type ctr struct {
	name         string
	init         bool
	restartCount int32
	everStarted  bool // started before (in this kubelet run or an earlier one)

	proc      *process
	runCancel context.CancelFunc // stops the probes of the current run
	started   bool               // startup probe passed (or none)
	ready     bool               // readiness probe passed (or none)
	stopping  bool               // a stop (liveness kill) is in progress
	env       []string           // environment of the current run (for exec hooks)
	logPath   string             // log file of the current run

	final         *v1.ContainerStateTerminated // exited and will not restart
	last          *v1.ContainerStateTerminated // previous run, when restarting
	waitingReason string
	waitingMsg    string
	lastEventMsg  string // last config error reported, so it is reported once

	backoff        time.Duration
	nextStart      time.Time
	backoffEventAt time.Time
}

// specOf returns the container's spec in pod, or nil when it is gone.
func (c *ctr) specOf(pod *v1.Pod) *v1.Container {
	list := pod.Spec.Containers
	if c.init {
		list = pod.Spec.InitContainers
	}
	for i := range list {
		if list[i].Name == c.name {
			return &list[i]
		}
	}
	return nil
}

// shouldRestart reports whether a container that exited with code restarts.
func shouldRestart(policy v1.RestartPolicy, init bool, code int) bool {
	switch {
	case init:
		return code != 0 && policy != v1.RestartPolicyNever
	case policy == v1.RestartPolicyAlways || policy == "":
		return true
	case policy == v1.RestartPolicyOnFailure:
		return code != 0
	}
	return false
}

// status returns the container's API status.
func (c *ctr) status(image string) v1.ContainerStatus {
	s := v1.ContainerStatus{
		Name:         c.name,
		Image:        image,
		ImageID:      "drill://" + image,
		RestartCount: c.restartCount,
	}
	started := false
	switch {
	case c.proc != nil:
		s.State.Running = &v1.ContainerStateRunning{StartedAt: metav1.NewTime(c.proc.started)}
		s.ContainerID = c.proc.containerID()
		s.Ready = c.ready && !c.init
		started = c.started
	case c.final != nil:
		s.State.Terminated = c.final.DeepCopy()
		s.ContainerID = c.final.ContainerID
		s.Ready = c.init && c.final.ExitCode == 0
	default:
		reason := c.waitingReason
		if reason == "" {
			reason = "ContainerCreating"
		}
		s.State.Waiting = &v1.ContainerStateWaiting{Reason: reason, Message: c.waitingMsg}
	}
	if c.last != nil {
		s.LastTerminationState.Terminated = c.last.DeepCopy()
	}
	if !c.init {
		s.Started = &started
	}
	return s
}

// terminatedState describes how process p ended.
func terminatedState(p *process) *v1.ContainerStateTerminated {
	reason := "Completed"
	if p.exitCode != 0 {
		reason = "Error"
	}
	return &v1.ContainerStateTerminated{
		ExitCode:    int32(p.exitCode),
		Reason:      reason,
		Signal:      0,
		StartedAt:   metav1.NewTime(p.started),
		FinishedAt:  metav1.NewTime(p.finished),
		ContainerID: p.containerID(),
	}
}
