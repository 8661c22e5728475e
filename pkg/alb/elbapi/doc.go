// Package elbapi serves a subset of the ELBv2 API (AWS Query protocol) over a
// lab load balancer, so that aws-sdk-go-v2 reads the lab the way it reads AWS.
package elbapi
