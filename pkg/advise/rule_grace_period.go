package advise

import (
	"fmt"
	"time"
)

func gracePeriodShort() Rule {
	return Rule{
		ID:      "grace-period-short",
		Level:   LevelError,
		Summary: "terminationGracePeriodSeconds is not above the preStop wait plus the app's drain time",
		Why: "The grace period (30 s by default) counts from the pod's deletion and includes the preStop " +
			"hook: the app gets SIGTERM only when the hook ends, and SIGKILL when the grace period ends " +
			"(2 s later if the hook overran it). Whatever the app still serves then is cut. The drain time " +
			"is what the app needs after SIGTERM to finish its requests in flight, stated with the " +
			"annotation " + AnnDrainTimeout + " on the pod template or the Deployment (0 when left out).",
		Evidence: "Kubernetes documents the default of 30 s, the preStop hook inside it and the one-off 2 s " +
			"extension; drill's zero-failure rolling update runs a 15 s preStop within a 30 s grace period " +
			"(scenarios/manifests/web-prestop.yaml; README field results); a public bombardier test went " +
			"from 3 5xx of about 753k requests to 0 when the grace period was raised to 50 s above a 40 s preStop",
		Sources: []string{
			"https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination",
			"README.md#the-articles-mitigations",
		},
		Fix: "set terminationGracePeriodSeconds above the preStop sleep plus the drain time",
		check: func(md *model, w *workload) []issue {
			var wait time.Duration
			what := "no preStop"
			for i, c := range w.pod().Spec.Containers {
				ps := preStopOf(c)
				if ps.known && ps.wait > wait {
					wait, what = ps.wait, fmt.Sprintf("preStop %s of container %s", inSeconds(ps.wait), w.pod().Spec.Containers[i].Name)
				}
			}
			drain, _, _, _ := w.annotationDuration(AnnDrainTimeout)
			need := wait + drain
			grace := w.gracePeriod()
			if need == 0 || grace > need {
				return nil
			}
			return []issue{{
				at:     w.podAt("terminationGracePeriodSeconds"),
				reason: fmt.Sprintf("terminationGracePeriodSeconds %s is not above %s (%s + drain %s): the app is killed before it has drained", inSeconds(grace), inSeconds(need), what, inSeconds(drain)),
				fix:    fmt.Sprintf("set terminationGracePeriodSeconds to at least %d", ceilSeconds(need)+1),
			}}
		},
	}
}
