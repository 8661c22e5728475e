package advise

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Annotations drill reads from a pod template (or its Deployment) for what
// the manifest cannot say otherwise: seconds ("75") or a duration ("75s").
const (
	// AnnKeepAliveTimeout is how long the app keeps an idle keep-alive
	// connection open.
	AnnKeepAliveTimeout = "drill.dev/keepalive-timeout"
	// AnnDrainTimeout is how long the app takes after SIGTERM to finish the
	// requests in flight and exit.
	AnnDrainTimeout = "drill.dev/drain-timeout"
)

// defaultGracePeriod is terminationGracePeriodSeconds when left out.
const defaultGracePeriod = 30 * time.Second

// servingContainers are the indexes of the containers that serve the
// Services' target ports; all containers when no port says.
func (w *workload) servingContainers() []int {
	cs := w.pod().Spec.Containers
	var out []int
	for i, c := range cs {
		if servesAny(c, w.services) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		for i := range cs {
			out = append(out, i)
		}
	}
	return out
}

// balancedContainers are the serving containers when a load balancer is in
// front of the pods, else none.
func (w *workload) balancedContainers() []int {
	if len(w.fronts) == 0 {
		return nil
	}
	return w.servingContainers()
}

// servesAny tells whether c declares a port some Service targets.
func servesAny(c corev1.Container, services []Item[corev1.Service]) bool {
	for _, s := range services {
		for _, sp := range s.V.Spec.Ports {
			tp := sp.TargetPort
			if tp.Type == intstr.Int && tp.IntVal == 0 {
				tp = intstr.FromInt32(sp.Port)
			}
			for _, cp := range c.Ports {
				if (tp.Type == intstr.Int && cp.ContainerPort == tp.IntVal) || (tp.Type == intstr.String && cp.Name == tp.StrVal) {
					return true
				}
			}
		}
	}
	return false
}

// preStop is what a container's preStop hook does before SIGTERM.
type preStop struct {
	present bool
	// wait is how long the hook holds SIGTERM back; known says whether
	// drill could read it (a sleep action or a sleep command).
	wait  time.Duration
	known bool
	what  string // the hook, for a finding's reason
}

// sleepArg finds "sleep N" in a shell command line.
var sleepArg = regexp.MustCompile(`(?:^|[\s;&|(/])sleep\s+(\d+(?:\.\d+)?)(s|m)?(?:$|[\s;&|)])`)

// preStopOf reads the preStop hook of c.
func preStopOf(c corev1.Container) preStop {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return preStop{}
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return preStop{present: true, wait: time.Duration(h.Sleep.Seconds) * time.Second, known: true, what: fmt.Sprintf("sleep action of %d s", h.Sleep.Seconds)}
	case h.Exec != nil:
		line := strings.Join(h.Exec.Command, " ")
		if g := sleepArg.FindStringSubmatch(line); g != nil {
			n, _ := strconv.ParseFloat(g[1], 64)
			if g[2] == "m" {
				n *= 60
			}
			return preStop{present: true, wait: time.Duration(n * float64(time.Second)), known: true, what: fmt.Sprintf("exec %q", line)}
		}
		return preStop{present: true, what: fmt.Sprintf("exec %q", line)}
	case h.HTTPGet != nil:
		return preStop{present: true, what: "httpGet " + h.HTTPGet.Path}
	}
	return preStop{present: true, what: "a hook"}
}

// gracePeriod is the pod's terminationGracePeriodSeconds.
func (w *workload) gracePeriod() time.Duration {
	if g := w.pod().Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return defaultGracePeriod
}

// annotationDuration reads annotation key from the pod template, else
// from the Deployment; ok is false when neither has it.
func (w *workload) annotationDuration(key string) (d time.Duration, at Object, ok bool, err error) {
	v, found := w.pod().Annotations[key]
	at = w.At("spec", "template", "metadata", "annotations", key)
	if !found {
		v, found = w.V.Annotations[key]
		at = w.At("metadata", "annotations", key)
	}
	if !found {
		return 0, at, false, nil
	}
	d, err = duration(v)
	if err != nil {
		return 0, at, false, fmt.Errorf("%s:%d: %s: %s %w", at.File, at.Line, w.Object, key, err)
	}
	return d, at, true, nil
}

// gunicornKeepAlive finds gunicorn's --keep-alive N in a command line.
var gunicornKeepAlive = regexp.MustCompile(`--keep-alive(?:=|\s+)(\d+)\b`)

// keepAlive is the app's keep-alive timeout where the manifest states it:
// the drill.dev/keepalive-timeout annotation, or gunicorn's --keep-alive in
// a container's command, args or GUNICORN_CMD_ARGS.
func (w *workload) keepAlive() (d time.Duration, at Object, from string, ok bool, err error) {
	if d, at, ok, err := w.annotationDuration(AnnKeepAliveTimeout); ok || err != nil {
		return d, at, "annotation " + AnnKeepAliveTimeout, ok, err
	}
	for _, i := range w.servingContainers() {
		c := w.pod().Spec.Containers[i]
		type source struct {
			line string
			at   Object
		}
		sources := []source{
			{strings.Join(c.Command, " "), w.podAt("containers", i, "command")},
			{strings.Join(c.Args, " "), w.podAt("containers", i, "args")},
		}
		for j, e := range c.Env {
			if e.Name == "GUNICORN_CMD_ARGS" {
				sources = append(sources, source{e.Value, w.podAt("containers", i, "env", j)})
			}
		}
		for _, s := range sources {
			if g := gunicornKeepAlive.FindStringSubmatch(s.line); g != nil {
				n, _ := strconv.Atoi(g[1])
				return time.Duration(n) * time.Second, s.at, "gunicorn --keep-alive of container " + c.Name, true, nil
			}
		}
	}
	return 0, Object{}, "", false, nil
}
