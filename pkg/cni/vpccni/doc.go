// Package vpccni is a CNI plugin that lays pods out as Amazon's VPC CNI
// does: the pod's address as a /32 on eth0, a default route via the
// link-local 169.254.1.1, which a permanent neighbour entry maps to the
// host-side veth's MAC, and on the node a /32 route per pod to that veth,
// which has no address. Address allocation is delegated to the IPAM plugin
// the configuration names (host-local in the lab).
package vpccni
