// Package cause says why a run's requests failed and how long the pods'
// and targets' lifecycle steps took. It joins every failed request with
// what the run's timeline knew when the request was sent: the load
// balancer's log record of it (lab), the target's health, the pod's
// phase and deletion, the Service's endpoints, the nodes' conntrack drops
// and kube-proxy syncs. It is pure logic over an Index built from a
// report: results stream through a Classifier one at a time.
// docs/causes.md describes the taxonomy and how each cause is decided.
package cause
