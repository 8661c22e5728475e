// Package advise reads Kubernetes manifests (Deployments, Services,
// Ingresses, PodDisruptionBudgets, Namespaces, IngressClasses, and the AWS
// Load Balancer Controller's annotations) and reports what would make a
// rollout drop traffic before any traffic is sent: a missing or short
// preStop hook behind a load balancer, a grace period that cuts the drain,
// missing readiness gates with ip targets, a rollout strategy that leaves no
// pod serving, and so on. Each rule lives in one file (rule_*.go) with its
// id, level, evidence and source; Rules lists them for docs and for SARIF.
package advise
