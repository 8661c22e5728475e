package advise

import (
	"fmt"
	"strings"
)

func preStopShort() Rule {
	return Rule{
		ID:      "prestop-short",
		Level:   LevelWarning,
		Summary: "a preStop hook ends before the load balancer has stopped sending the pod new requests",
		Why: "The preStop hook must hold SIGTERM back until no new request can reach the pod: the " +
			"deregistration has propagated to the load balancer (the controller sees the endpoint change " +
			"and deregisters the target, which then drains) plus kube-proxy's sync for traffic through a " +
			"NodePort or ClusterIP. The deregistration delay (target-group attribute " +
			"deregistration_delay.timeout_seconds, 300 s by default) does not count: draining begins when " +
			"the ALB stops sending new requests, and the delay only bounds how long requests already in " +
			"flight may take, which the grace period covers (rule grace-period-short). drill compares the " +
			"sleep with --propagation (default 10 s) plus kube-proxy's minSyncPeriod (1 s). A hook whose " +
			"length drill cannot read (httpGet, a script) is reported as info.",
		Evidence: "AWS documents no propagation time; users observe from a few seconds to about two minutes " +
			"(aws-load-balancer-controller#1064, #2106, #3270). drill's lab propagates in 5 s, and a 15 s " +
			"preStop measured zero failed requests against about 6% without (README field results); drill " +
			"takes twice the lab's 5 s as the floor. kube-proxy's minSyncPeriod default is 1 s",
		Sources: []string{
			"README.md#the-articles-mitigations",
			"docs/alb.md#the-controller-ingress--alb",
			"https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3270",
			"https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/",
		},
		Fix: "make the preStop sleep at least the propagation plus 1 s; measure the propagation with drill run on the cluster and pass it as --propagation",
		check: func(md *model, w *workload) []issue {
			var out []issue
			want := md.opts.preStopNeeded()
			for _, i := range w.balancedContainers() {
				c := w.pod().Spec.Containers[i]
				ps := preStopOf(c)
				at := w.podAt("containers", i, "lifecycle", "preStop")
				switch {
				case !ps.present:
				case !ps.known:
					out = append(out, issue{
						at: at, level: LevelInfo,
						reason: fmt.Sprintf("container %s's preStop hook (%s) has a length drill cannot read; behind %s it must last at least %s", c.Name, ps.what, fronts(w.fronts), inSeconds(want)),
						fix:    fmt.Sprintf("make sure the hook lasts at least %s, or use lifecycle.preStop.sleep.seconds: %d", inSeconds(want), ceilSeconds(want)),
					})
				case ps.wait < want:
					out = append(out, issue{
						at:     at,
						reason: fmt.Sprintf("container %s's preStop (%s) waits %s, less than %s (propagation %s + kube-proxy sync %s) behind %s%s", c.Name, ps.what, inSeconds(ps.wait), inSeconds(want), inSeconds(md.opts.propagation()), inSeconds(KubeProxySync), fronts(w.fronts), delays(w)),
						fix:    fmt.Sprintf("sleep at least %d s in container %s's preStop hook", ceilSeconds(want), c.Name),
					})
				}
			}
			return out
		},
	}
}

// delays notes the ALB fronts' deregistration delays, which do not count.
func delays(w *workload) string {
	var parts []string
	for _, f := range w.albFronts() {
		parts = append(parts, fmt.Sprintf("%s for %s", inSeconds(f.alb.deregistrationDelay), f.lb))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; the deregistration delay (" + strings.Join(parts, ", ") + ") does not count: it starts when the ALB stops sending"
}
