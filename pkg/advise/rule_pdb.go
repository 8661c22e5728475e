package advise

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func pdbMissing() Rule {
	return Rule{
		ID:      "pdb-missing",
		Level:   LevelWarning,
		Summary: "no PodDisruptionBudget selects the Deployment's pods",
		Why: "A rollout respects maxUnavailable, but a voluntary disruption (a node drain by an upgrade, " +
			"Karpenter or the cluster autoscaler) evicts pods with no regard for the Deployment unless a " +
			"PodDisruptionBudget limits it: a drain can take every pod of a Deployment at once.",
		Evidence: "Kubernetes documents that eviction honours only PodDisruptionBudgets; EKS managed node " +
			"group updates drain nodes through the eviction API",
		Sources: []string{
			"https://kubernetes.io/docs/concepts/workloads/pods/disruptions/",
			"https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html",
		},
		Fix: "add a PodDisruptionBudget with the Deployment's pod labels as selector and minAvailable 1 (or maxUnavailable 1)",
		check: func(md *model, w *workload) []issue {
			for _, p := range md.m.PDBs {
				if p.Namespace != w.Namespace || p.V.Spec.Selector == nil {
					continue
				}
				sel, err := metav1.LabelSelectorAsSelector(p.V.Spec.Selector)
				if err == nil && !sel.Empty() && sel.Matches(labels.Set(w.pod().Labels)) {
					return nil
				}
			}
			return []issue{{
				at:     w.At("spec", "template", "metadata", "labels"),
				reason: fmt.Sprintf("no PodDisruptionBudget in the manifests selects the pods of %s (labels %s)", w.Object, labels.Set(w.pod().Labels)),
			}}
		},
	}
}
