package advise

import (
	"fmt"
	"strings"

	"github.com/drillkit/drill/pkg/awslb"
)

func readinessGateMissing() Rule {
	return Rule{
		ID:      "readiness-gate-missing",
		Level:   LevelWarning,
		Summary: "pods behind ip targets have no readiness gate of the AWS Load Balancer Controller",
		Why: "With ip targets the load balancer sends to the pod's address, not through kube-proxy. " +
			"Without a readiness gate a new pod is Ready as soon as its readiness probe passes, before its " +
			"target is registered and healthy, so a rolling update can remove old pods while the new ones " +
			"receive nothing yet. The controller injects the gate (target-health.elbv2.k8s.aws/<target " +
			"group>) into pods of namespaces labelled " + awslb.LabelReadinessGateInject + "=enabled.",
		Evidence: "drill measured 105 5xx instead of 189 with the gate in an ip-target rolling update without " +
			"preStop: each new pod became Ready about 7 s later, once healthy in the ALB (docs/alb.md, " +
			"README field results)",
		Sources: []string{
			"docs/alb.md#the-controller-ingress--alb",
			"https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/",
		},
		Fix: "label the namespace " + awslb.LabelReadinessGateInject + "=enabled (the controller's webhook injects the gate into new pods)",
		check: func(md *model, w *workload) []issue {
			var ip []front
			for _, f := range w.fronts {
				if f.targetType == awslb.TargetTypeIP {
					ip = append(ip, f)
				}
			}
			if len(ip) == 0 || md.hasReadinessGate(w) {
				return nil
			}
			ns := ""
			if w.Namespace != "" {
				ns = " " + w.Namespace
			}
			return []issue{{
				at:     w.At("spec", "template", "spec"),
				reason: fmt.Sprintf("behind %s the pods declare no readiness gate %s<target group>, and no Namespace%s in the manifests has the label %s=enabled", fronts(ip), awslb.ReadinessGatePrefix, ns, awslb.LabelReadinessGateInject),
			}}
		},
	}
}

// hasReadinessGate tells whether w's pods get the controller's readiness
// gate: declared in the template or injected into their namespace.
func (md *model) hasReadinessGate(w *workload) bool {
	for _, g := range w.pod().Spec.ReadinessGates {
		if strings.HasPrefix(string(g.ConditionType), awslb.ReadinessGatePrefix) {
			return true
		}
	}
	for _, n := range md.m.Namespaces {
		if n.Name == w.Namespace && n.V.Labels[awslb.LabelReadinessGateInject] == "enabled" {
			return true
		}
	}
	return false
}
