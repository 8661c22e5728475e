// Package awslb is the vocabulary of AWS load balancing that drill's ELBv2
// client, the lab ALB and the faults share: the AWS Load Balancer
// Controller's Ingress annotations and forward actions, target types and
// target-group attribute keys. It holds names and their parsing only, so
// that production code reads them without importing the lab.
package awslb
