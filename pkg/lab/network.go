package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// netnsDir is where `ip netns` keeps its named network namespaces.
const netnsDir = "/run/netns"

// ipBatch runs `ip [-n netns] -batch -` with one command per line, so a
// namespace is configured with one process.
func ipBatch(ctx context.Context, netns string, lines ...string) error {
	args := []string{}
	if netns != "" {
		args = append(args, "-n", netns)
	}
	args = append(args, "-batch", "-")
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		where := "host"
		if netns != "" {
			where = "netns " + netns
		}
		return fmt.Errorf("ip -batch in %s: %w: %s", where, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// sysctlIn writes a per-namespace sysctl from inside the namespace (a
// process sees /proc/sys/net of its own network namespace). The host's
// values are never written here.
func sysctlIn(ctx context.Context, netns, key, value string) error {
	if netns == "" {
		return fmt.Errorf("refusing to write sysctl %s in the host network namespace", key)
	}
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	cmd := exec.CommandContext(ctx, "nsenter", "--net="+filepath.Join(netnsDir, netns), "--", "sh", "-c", `printf '%s\n' "$1" > "$2"`, "sh", value, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("set %s=%s in netns %s: %w: %s", key, value, netns, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setupNetwork creates the VPC, control-plane and node namespaces, the
// bridge, the veths and the routes of the plan.
func setupNetwork(ctx context.Context, p Plan) error {
	var add []string
	for _, ns := range p.allNetns() {
		add = append(add, "netns add "+ns)
	}
	if err := ipBatch(ctx, "", add...); err != nil {
		return fmt.Errorf("create network namespaces: %w", err)
	}
	vpcBits := prefixLen(p.VPCCIDR)
	// VPC namespace: the bridge and the node/control-plane ends of the veths.
	vpc := []string{
		"link set lo up",
		"link add br0 type bridge",
		fmt.Sprintf("addr add %s/%d dev br0", p.VPCAddr, vpcBits),
		"link set br0 up",
		fmt.Sprintf("link add cp type veth peer name eth0 netns %s", p.CPNetns),
		"link set cp master br0",
		"link set cp up",
	}
	for _, n := range p.Nodes {
		vpc = append(vpc,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", n.VPCLink, n.Netns),
			fmt.Sprintf("link set %s master br0", n.VPCLink),
			fmt.Sprintf("link set %s up", n.VPCLink),
			fmt.Sprintf("route add %s via %s dev br0", n.PodCIDR, n.IP),
		)
	}
	if err := ipBatch(ctx, p.VPCNetns, vpc...); err != nil {
		return fmt.Errorf("configure the VPC namespace: %w", err)
	}
	cp := []string{
		"link set lo up",
		fmt.Sprintf("addr add %s/%d dev eth0", p.APIAddr, vpcBits),
		"link set eth0 up",
	}
	for _, n := range p.Nodes {
		cp = append(cp, fmt.Sprintf("route add %s via %s dev eth0", n.PodCIDR, n.IP))
	}
	// The VPC namespace is every other namespace's default gateway, like a
	// VPC router. It has no default route itself, so nothing leaves the lab.
	cp = append(cp, fmt.Sprintf("route add default via %s dev eth0", p.VPCAddr))
	if err := ipBatch(ctx, p.CPNetns, cp...); err != nil {
		return fmt.Errorf("configure the control-plane namespace: %w", err)
	}
	for _, n := range p.Nodes {
		lines := []string{
			"link set lo up",
			fmt.Sprintf("addr add %s/%d dev eth0", n.IP, vpcBits),
			"link set eth0 up",
		}
		for _, o := range p.Nodes {
			if o.Name != n.Name {
				lines = append(lines, fmt.Sprintf("route add %s via %s dev eth0", o.PodCIDR, o.IP))
			}
		}
		// A default route, as real nodes have: the node's own traffic to
		// Service IPs needs a route before kube-proxy's DNAT applies.
		lines = append(lines, fmt.Sprintf("route add default via %s dev eth0", p.VPCAddr))
		if err := ipBatch(ctx, n.Netns, lines...); err != nil {
			return fmt.Errorf("configure node %s: %w", n.Name, err)
		}
		if err := sysctlIn(ctx, n.Netns, "net.ipv4.ip_forward", "1"); err != nil {
			return err
		}
	}
	return sysctlIn(ctx, p.VPCNetns, "net.ipv4.ip_forward", "1")
}

func (p Plan) allNetns() []string {
	ns := []string{p.VPCNetns, p.CPNetns}
	for _, n := range p.Nodes {
		ns = append(ns, n.Netns)
	}
	return ns
}

// labNetns lists the existing network namespaces of a lab (nodes, pods,
// control plane, VPC), found by name prefix.
func labNetns(name string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", netnsDir, err)
	}
	var out []string
	prefix := netnsPrefix(name)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// deleteNetns removes network namespaces; pods first, the VPC last.
func deleteNetns(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var lines []string
	for _, n := range names {
		lines = append(lines, "netns del "+n)
	}
	// -force keeps going past errors so one stuck namespace does not keep
	// the others alive; the caller re-lists afterwards.
	cmd := exec.CommandContext(ctx, "ip", "-force", "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("delete network namespaces: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
