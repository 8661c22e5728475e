package advise

import (
	"fmt"
	"time"

	"github.com/drillkit/drill/pkg/awslb"
)

func healthCheckSlowerThanMinReady() Rule {
	return Rule{
		ID:      "health-check-slower-than-min-ready",
		Level:   LevelWarning,
		Summary: "a new ip target needs longer to become healthy in the ALB than minReadySeconds",
		Why: "With ip targets and no readiness gate, a rolling update counts a new pod as available " +
			"minReadySeconds after it is Ready and goes on to stop an old one. The ALB sends the new pod " +
			"requests only once it has passed healthy-threshold-count health checks, " +
			"healthcheck-interval-seconds apart (controller defaults: 2 × 15 s = 30 s), after its " +
			"registration. If that takes longer than minReadySeconds (0 by default), old pods stop while " +
			"new ones are still initial, and capacity shrinks or vanishes. Instance targets are nodes, " +
			"already healthy, so the rule does not apply to them; with a readiness gate neither.",
		Evidence: "the controller's defaults: interval 15 s, healthy threshold 2 (ELBv2 API: 30 s, 5); drill " +
			"measured a new pod healthy in the ALB about 7 s after it started (a 5 s registration delay " +
			"plus two 2 s checks, docs/alb.md)",
		Sources: []string{
			"https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#health-check",
			"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html",
			"docs/alb.md#the-controller-ingress--alb",
		},
		Fix: "add the readiness gate (rule readiness-gate-missing), or set minReadySeconds above interval × healthy threshold",
		check: func(md *model, w *workload) []issue {
			if md.hasReadinessGate(w) {
				return nil
			}
			var need time.Duration
			var worst front
			for _, f := range w.albFronts() {
				if f.targetType != awslb.TargetTypeIP {
					continue
				}
				if d := time.Duration(f.alb.healthyThreshold) * f.alb.healthInterval; d > need {
					need, worst = d, f
				}
			}
			minReady := time.Duration(w.V.Spec.MinReadySeconds) * time.Second
			if need == 0 || need <= minReady {
				return nil
			}
			return []issue{{
				at: w.At("spec", "minReadySeconds"),
				reason: fmt.Sprintf("%s needs %d health checks %s apart (%s) before a new pod gets requests, longer than minReadySeconds %s",
					worst, worst.alb.healthyThreshold, inSeconds(worst.alb.healthInterval), inSeconds(need), inSeconds(minReady)),
				fix: fmt.Sprintf("add the readiness gate, or set minReadySeconds to at least %d", ceilSeconds(need)+1),
			}}
		},
	}
}
