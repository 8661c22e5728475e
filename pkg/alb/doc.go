// Package alb starts the lab's Application Load Balancer in a running lab:
// the data plane (package dataplane) with target connections from the lab VPC
// namespace, the ELBv2 API over it (package elbapi) and the Ingress
// controller that keeps it in step with the cluster (package ingress). It
// records the ALB's addresses in the lab state directory.
package alb
