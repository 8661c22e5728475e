package advise

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func rolloutNoCapacity() Rule {
	return Rule{
		ID:      "rollout-no-capacity",
		Level:   LevelError,
		Summary: "the rollout strategy lets every pod be down at once",
		Why: "A rolling update keeps at least replicas - maxUnavailable pods available (maxUnavailable " +
			"rounds down, maxSurge up; both 25% by default; when both come to 0, maxUnavailable is 1). At 0 " +
			"nothing serves for part of the rollout: replicas 1 with maxUnavailable 1, or maxSurge 0 with " +
			"maxUnavailable equal to replicas. The Recreate strategy stops every pod before starting new ones.",
		Evidence: "Kubernetes documents the rounding and defaults of maxSurge and maxUnavailable; with no pod " +
			"serving, the ALB answers 503 (no registered targets) or fails open to unhealthy ones (docs/alb.md)",
		Sources: []string{
			"https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment",
			"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html",
		},
		Fix: "use strategy RollingUpdate with maxUnavailable 0 and maxSurge 1 (or more replicas)",
		check: func(_ *model, w *workload) []issue {
			replicas := int32(1)
			if r := w.V.Spec.Replicas; r != nil {
				replicas = *r
			}
			if replicas < 1 {
				return nil
			}
			st := w.V.Spec.Strategy
			if st.Type == appsv1.RecreateDeploymentStrategyType {
				return []issue{{
					at:     w.At("spec", "strategy", "type"),
					reason: fmt.Sprintf("strategy Recreate stops all %d pods before the new ones start: nothing serves until they are ready", replicas),
				}}
			}
			surge, unavailable := intstr.FromString("25%"), intstr.FromString("25%")
			if ru := st.RollingUpdate; ru != nil {
				if ru.MaxSurge != nil {
					surge = *ru.MaxSurge
				}
				if ru.MaxUnavailable != nil {
					unavailable = *ru.MaxUnavailable
				}
			}
			s, err1 := intstr.GetScaledValueFromIntOrPercent(&surge, int(replicas), true)
			u, err2 := intstr.GetScaledValueFromIntOrPercent(&unavailable, int(replicas), false)
			if err1 != nil || err2 != nil {
				return nil // the API server rejects these
			}
			if s == 0 && u == 0 {
				u = 1
			}
			if int(replicas)-u > 0 {
				return nil
			}
			return []issue{{
				at:     w.At("spec", "strategy"),
				reason: fmt.Sprintf("replicas %d with maxUnavailable %s (%d) and maxSurge %s (%d) lets the rollout take every pod down: %d available at the least", replicas, unavailable.String(), u, surge.String(), s, int(replicas)-u),
			}}
		},
	}
}
