// Package ingress is the lab ALB's Ingress controller: like the AWS Load
// Balancer Controller, it keeps the load balancer's listener rules, target
// groups and targets in step with Ingresses, Services, EndpointSlices and
// Nodes, writes the load balancer's address into Ingress status and sets the
// readiness gates of pods behind ip targets.
package ingress
