// Package dataplane is the lab's Application Load Balancer itself: an
// HTTP/1.1 reverse proxy whose listener is on host loopback and whose target
// connections start wherever its DialFunc says (in the lab, the VPC network
// namespace). It reproduces the behaviour of an AWS ALB that matters for
// rollout safety: listener rules with weighted forward actions, target groups
// with health checks (initial, healthy, unhealthy), deregistration delay
// (draining), round robin with fail-open, the documented 502/503/504
// responses, X-Forwarded-* headers and a per-request log.
package dataplane
