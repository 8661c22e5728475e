package sample

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drillkit/drill/pkg/report"
)

func TestExitsCarryTheTerminationEvidence(t *testing.T) {
	sigterm := time.Date(2026, 12, 4, 10, 0, 5, 123456789, time.UTC)
	running := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1"},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{
			{Name: "web", Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 15}}}},
			{Name: "side"},
		}},
		Status: corev1.PodStatus{PodIP: "198.18.1.10", ContainerStatuses: []corev1.ContainerStatus{
			{Name: "web", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			{Name: "side", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		}},
	}
	exited := running.DeepCopy()
	exited.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: 0, Reason: "Completed", FinishedAt: metav1.NewTime(sigterm.Add(time.Second)),
		Message: "starting\n" + SigtermLine(sigterm),
	}}
	got := exits(running, exited)
	if len(got) != 1 {
		t.Fatalf("exits %+v, want the web container's only", got)
	}
	f := got[0].Fields()
	want := map[string]string{report.FieldPod: "web-1", report.FieldNode: "node-1", report.FieldIP: "198.18.1.10",
		report.FieldChange: report.PodExited, report.FieldContainer: "web", report.FieldExitCode: "0",
		report.FieldFinishedAt: "2026-12-04T10:00:06Z", report.FieldSigterm: "2026-12-04T10:00:05.123456789Z",
		report.FieldPreStop: "sleep", report.FieldPreStopSleep: "15"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("field %s = %q, want %q", k, f[k], v)
		}
	}
	if !strings.Contains(got[0].Message, "web exited with code 0 (Completed)") {
		t.Errorf("message %q", got[0].Message)
	}
	if again := exits(exited, exited); len(again) != 0 {
		t.Errorf("an exit already seen is reported again: %+v", again)
	}
	side := exited.DeepCopy()
	side.Status.ContainerStatuses[1].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Message: "no time here"}}
	got = exits(exited, side)
	if len(got) != 1 || got[0].Extra[report.FieldPreStop] != "none" || got[0].Extra[report.FieldSigterm] != "" || got[0].Extra[report.FieldExitCode] != "137" {
		t.Errorf("side container's exit %+v", got)
	}
}

func TestKubeletChange(t *testing.T) {
	e := &corev1.Event{Reason: "Killing", Message: "Stopping container web",
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1", FieldPath: "spec.containers{web}"},
		Source:         corev1.EventSource{Host: "node-2"}}
	c, ok := kubeletChange(e)
	if !ok || c.Change != report.PodKilling || c.Pod != "web-1" || c.Node != "node-2" || c.Extra[report.FieldContainer] != "web" {
		t.Errorf("Killing → %+v %v", c, ok)
	}
	e.Reason = "FailedPreStopHook"
	if c, ok := kubeletChange(e); !ok || c.Change != report.PodPreStopFailed {
		t.Errorf("FailedPreStopHook → %+v %v", c, ok)
	}
	e.Reason = "Pulled"
	if _, ok := kubeletChange(e); ok {
		t.Error("Pulled is not a termination event")
	}
}
