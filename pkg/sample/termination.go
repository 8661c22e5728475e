package sample

import (
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/drillkit/drill/pkg/report"
)

// SigtermPrefix begins the line of a container's termination message that
// says when the app got SIGTERM: "sigterm: <RFC 3339 with nanoseconds>".
// drill echo writes it; any app may, to have its preStop duration and its
// SIGTERM → exit measured precisely (docs/causes.md).
const SigtermPrefix = "sigterm: "

// SigtermLine is the termination message line for a SIGTERM received at t.
func SigtermLine(t time.Time) string {
	return SigtermPrefix + t.UTC().Format(time.RFC3339Nano) + "\n"
}

// sigtermOf is the SIGTERM time a termination message states.
func sigtermOf(msg string) (time.Time, bool) {
	for _, line := range strings.Split(msg, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), strings.TrimSpace(SigtermPrefix)); ok {
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v)); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// exits are the containers of p that terminated in n but not in o (o nil:
// every terminated container of n).
func exits(o, n *corev1.Pod) []PodChange {
	var out []PodChange
	for _, cs := range n.Status.ContainerStatuses {
		t := cs.State.Terminated
		if t == nil || (o != nil && terminated(o, cs.Name)) {
			continue
		}
		c := change(n, report.PodExited)
		c.Message = "pod " + n.Name + " container " + cs.Name + " exited with code " + strconv.Itoa(int(t.ExitCode))
		if t.Reason != "" {
			c.Message += " (" + t.Reason + ")"
		}
		c.Extra = map[string]string{report.FieldContainer: cs.Name, report.FieldExitCode: strconv.Itoa(int(t.ExitCode))}
		if !t.FinishedAt.IsZero() {
			c.Extra[report.FieldFinishedAt] = t.FinishedAt.UTC().Format(time.RFC3339)
		}
		if s, ok := sigtermOf(t.Message); ok {
			c.Extra[report.FieldSigterm] = s.UTC().Format(time.RFC3339Nano)
		}
		for k, v := range preStopOf(n, cs.Name) {
			c.Extra[k] = v
		}
		out = append(out, c)
	}
	return out
}

func terminated(p *corev1.Pod, container string) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container {
			return cs.State.Terminated != nil
		}
	}
	return false
}

// preStopOf names the container's preStop handler, with the sleep
// action's seconds.
func preStopOf(p *corev1.Pod, container string) map[string]string {
	kind := "none"
	out := map[string]string{}
	for _, c := range p.Spec.Containers {
		if c.Name != container || c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
			continue
		}
		h := c.Lifecycle.PreStop
		switch {
		case h.Sleep != nil:
			kind = "sleep"
			out[report.FieldPreStopSleep] = strconv.FormatInt(h.Sleep.Seconds, 10)
		case h.Exec != nil:
			kind = "exec"
		case h.HTTPGet != nil:
			kind = "httpGet"
		case h.TCPSocket != nil:
			kind = "tcpSocket"
		}
	}
	out[report.FieldPreStop] = kind
	return out
}
