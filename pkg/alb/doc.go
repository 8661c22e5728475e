// Package alb is the lab's Application Load Balancer: an HTTP/1.1 reverse
// proxy whose listener is on host loopback and whose target connections start
// inside the lab VPC network namespace. It reproduces the behaviour of an AWS
// ALB managed by the AWS Load Balancer Controller that matters for rollout
// safety: target groups with health checks (initial, healthy, unhealthy),
// deregistration delay (draining), round robin with fail-open, the documented
// 502/503/504 responses, X-Forwarded-* headers and a per-request log.
//
// Around the proxy, the package serves an ELBv2 API subset (AWS Query
// protocol) so that aws-sdk-go-v2 reads the lab the way it reads AWS, and an
// Ingress-driven controller keeps target groups in step with the cluster.
package alb
