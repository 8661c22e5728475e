// Package ipvsemu is the lab's stand-in for kube-proxy's IPVS mode on
// kernels without ip_vs. It keeps IPVS's observable behaviour where it
// matters for drills: round-robin scheduling per new connection (nftables
// `numgen inc`), equal weights, and graceful endpoint removal (a terminating
// endpoint gets no new connections while its established ones continue
// through conntrack until they close). Everything it programs lives in one
// nftables table of the node's network namespace, and every log line and
// status names it "ipvs (emulated: kernel has no ip_vs)".
package ipvsemu

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/drillkit/drill/pkg/agent"
)

// Label is how the emulated mode is named in logs, status and reports, and
// TableName the nftables table (family ip) the proxier owns: the node
// agent reads both.
const (
	Label     = agent.EmulatedIPVSMode
	TableName = agent.EmulatedIPVSTable
)

// masqMark marks connections to masquerade, as kube-proxy's 0x4000.
const masqMark = "0x4000"

// Backend is one endpoint address and port.
type Backend struct {
	IP   string
	Port int32
}

// ServicePort is one service port as the proxier programs it.
type ServicePort struct {
	// Name is namespace/service:port, e.g. default/echo:http.
	Name      string
	Protocol  string // tcp, udp or sctp
	ClusterIP string
	Port      int32
	NodePort  int32 // 0: none
	// Backends are the endpoints that receive new connections, in a stable
	// order (ready ones, or terminating ones when none is ready).
	Backends []Backend
}

// chainID hashes a service port name into a chain suffix, as kube-proxy does.
func chainID(sp ServicePort) string {
	h := sha256.Sum256([]byte(sp.Name + sp.Protocol))
	return strings.ToLower(base32.StdEncoding.EncodeToString(h[:])[:16])
}

// Ruleset renders the complete table for the given service ports; applying
// it with `nft -f` replaces the previous one atomically.
func Ruleset(clusterCIDR string, ports []ServicePort) string {
	ports = append([]ServicePort(nil), ports...)
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s\ndelete table ip %s\n", TableName, TableName)
	fmt.Fprintf(&b, "table ip %s {\n", TableName)
	fmt.Fprintf(&b, "\tcomment %q\n", Label)
	b.WriteString("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tjump services\n\t}\n")
	b.WriteString("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}\n")
	fmt.Fprintf(&b, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tmeta mark & %s == %s masquerade\n\t}\n", masqMark, masqMark)
	for _, hook := range []string{"input", "forward", "output"} {
		fmt.Fprintf(&b, "\tchain filter-%s {\n\t\ttype filter hook %s priority -10; policy accept;\n\t\tct state new jump no-endpoints\n\t}\n", hook, hook)
	}
	var services, noEndpoints []string
	var chains strings.Builder
	for _, sp := range ports {
		proto := sp.Protocol
		id := chainID(sp)
		comment := fmt.Sprintf(" comment %q", sp.Name)
		if len(sp.Backends) == 0 {
			if sp.ClusterIP != "" {
				noEndpoints = append(noEndpoints, fmt.Sprintf("ip daddr %s %s dport %d reject%s", sp.ClusterIP, proto, sp.Port, comment))
			}
			if sp.NodePort != 0 {
				noEndpoints = append(noEndpoints, fmt.Sprintf("fib daddr type local %s dport %d reject%s", proto, sp.NodePort, comment))
			}
			continue
		}
		if sp.ClusterIP != "" {
			services = append(services, fmt.Sprintf("ip daddr %s %s dport %d goto svc-%s%s", sp.ClusterIP, proto, sp.Port, id, comment))
		}
		if sp.NodePort != 0 {
			services = append(services, fmt.Sprintf("fib daddr type local %s dport %d goto ext-%s%s", proto, sp.NodePort, id, comment))
			fmt.Fprintf(&chains, "\tchain ext-%s {\n\t\tip saddr != %s meta mark set meta mark | %s\n\t\tgoto svc-%s\n\t}\n", id, clusterCIDR, masqMark, id)
		}
		var elems []string
		for i, be := range sp.Backends {
			elems = append(elems, fmt.Sprintf("%d : %s . %d", i, be.IP, be.Port))
		}
		fmt.Fprintf(&chains, "\tchain svc-%s {\n\t\tmeta l4proto %s dnat ip to numgen inc mod %d map { %s }%s\n\t}\n",
			id, proto, len(sp.Backends), strings.Join(elems, ", "), comment)
	}
	b.WriteString("\tchain services {\n")
	for _, r := range services {
		b.WriteString("\t\t" + r + "\n")
	}
	b.WriteString("\t}\n")
	b.WriteString("\tchain no-endpoints {\n")
	for _, r := range noEndpoints {
		b.WriteString("\t\t" + r + "\n")
	}
	b.WriteString("\t}\n")
	b.WriteString(chains.String())
	b.WriteString("}\n")
	return b.String()
}

// validIPv4 reports whether s is an IPv4 address (the lab is IPv4 only).
func validIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}
