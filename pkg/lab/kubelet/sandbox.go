package kubelet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// gatewayIP is the pod's default gateway, answered by a permanent neighbour
// entry for the node-side veth (as the AWS VPC CNI wires pods).
const gatewayIP = "169.254.1.1"

// sandbox is a pod's network: its namespace, the node-side veth and its IP.
type sandbox struct {
	Netns       string `json:"netns"`
	Veth        string `json:"veth,omitempty"`
	IP          string `json:"ip"`
	HostNetwork bool   `json:"hostNetwork,omitempty"`
}

// shortUID returns the first 8 hex characters of a pod UID.
func shortUID(uid string) string {
	s := strings.ReplaceAll(uid, "-", "")
	if len(s) > 8 {
		s = s[:8]
	}
	return s
}

// podNetnsName returns the network namespace name of the pod with uid.
func (k *kubelet) podNetnsName(uid string) string { return k.cfg.PodNetnsPrefix + shortUID(uid) }

// vethMAC derives a stable locally administered MAC for a pod's node-side veth.
func vethMAC(uid string) string {
	h := sha256.Sum256([]byte(uid))
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
}

// setupSandbox creates the pod's network namespace and wiring: loopback up,
// eth0 with ip/32, default route via 169.254.1.1 with a permanent neighbour
// entry for the node-side veth, and a /32 route to the pod on the node. A
// hostNetwork pod uses the node's namespace and IP. On error, whatever was
// created is removed.
func (k *kubelet) setupSandbox(ctx context.Context, pod *v1.Pod, ip net.IP) (sb sandbox, err error) {
	if pod.Spec.HostNetwork {
		return sandbox{Netns: k.cfg.NodeNetns, IP: k.cfg.NodeIP, HostNetwork: true}, nil
	}
	uid := string(pod.UID)
	sb = sandbox{Netns: k.podNetnsName(uid), Veth: "dp" + shortUID(uid), IP: ip.String()}
	// A namespace left by an earlier attempt is replaced.
	if _, statErr := os.Stat(netnsPath(sb.Netns)); statErr == nil {
		k.teardownSandbox(ctx, sb)
	}
	defer func() {
		if err != nil {
			k.teardownSandbox(context.WithoutCancel(ctx), sb)
		}
	}()
	node, pns := k.cfg.NodeNetns, sb.Netns
	steps := [][]string{
		{"netns", "add", pns},
		{"-n", pns, "link", "set", "lo", "up"},
		{"-n", node, "link", "add", sb.Veth, "address", vethMAC(uid), "type", "veth", "peer", "name", "eth0", "netns", pns},
		{"-n", pns, "addr", "add", sb.IP + "/32", "dev", "eth0"},
		{"-n", pns, "link", "set", "eth0", "up"},
		{"-n", node, "link", "set", sb.Veth, "up"},
		{"-n", pns, "route", "add", gatewayIP, "dev", "eth0", "scope", "link"},
		{"-n", pns, "route", "add", "default", "via", gatewayIP, "dev", "eth0"},
		{"-n", pns, "neigh", "replace", gatewayIP, "lladdr", vethMAC(uid), "dev", "eth0", "nud", "permanent"},
		{"-n", node, "route", "replace", sb.IP + "/32", "dev", sb.Veth, "scope", "link"},
	}
	for _, s := range steps {
		if err := runIP(ctx, s...); err != nil {
			return sb, fmt.Errorf("set up pod network: %w", err)
		}
	}
	return sb, nil
}

// teardownSandbox removes the pod's veth and network namespace; a hostNetwork
// sandbox has nothing to remove. Errors are logged, not returned: teardown is
// best effort and idempotent.
func (k *kubelet) teardownSandbox(ctx context.Context, sb sandbox) {
	if sb.HostNetwork || sb.Netns == "" || sb.Netns == k.cfg.NodeNetns {
		return
	}
	var errs []error
	if sb.Veth != "" {
		if err := runIP(ctx, "-n", k.cfg.NodeNetns, "link", "del", sb.Veth); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
			errs = append(errs, err)
		}
	}
	if _, err := os.Stat(netnsPath(sb.Netns)); err == nil {
		if err := runIP(ctx, "netns", "del", sb.Netns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		k.log.Warn("pod network teardown incomplete", "netns", sb.Netns, "err", err)
	}
}
