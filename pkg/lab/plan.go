package lab

import (
	"fmt"
	"net/netip"
	"path/filepath"
)

// Plan is a lab's resolved layout: names, addresses and paths. It is saved
// as lab.json in the state directory so a later process can Open the lab.
type Plan struct {
	Name      string `json:"name"`
	ProxyMode string `json:"proxyMode"`
	// NodeRuntime is always nodeRuntimeKubelet. Older drills also wrote
	// "lab", or nothing, for labs whose pods their own lab kubelet ran:
	// Open refuses those (see errOldNodeRuntime).
	NodeRuntime string `json:"nodeRuntime,omitempty"`
	// Runtime holds the nodes' programs.
	Runtime     *RuntimeBinaries `json:"runtime,omitempty"`
	StateDir    string           `json:"stateDir"`
	KubeBinary  string           `json:"kubeBinary"`
	DrillBinary string           `json:"drillBinary"`
	VPCCIDR     string           `json:"vpcCIDR"`
	PodCIDR     string           `json:"podCIDR"`
	ServiceCIDR string           `json:"serviceCIDR"`
	VPCNetns    string           `json:"vpcNetns"`
	VPCAddr     string           `json:"vpcAddr"`
	CPNetns     string           `json:"cpNetns"`
	APIAddr     string           `json:"apiAddr"`
	APIPort     int              `json:"apiPort"`
	ServiceIP   string           `json:"kubernetesServiceIP"`
	RelayAddr   string           `json:"relayAddr,omitempty"`
	Nodes       []NodePlan       `json:"nodes"`
	// HostConntrackMaxSaved is the host's nf_conntrack_max before the lab
	// changed it (0: untouched).
	HostConntrackMaxSaved int `json:"hostConntrackMaxSaved,omitempty"`
	HostConntrackMaxSet   int `json:"hostConntrackMaxSet,omitempty"`
	// ConntrackTimeouts are set in every node's network namespace.
	ConntrackTimeouts ConntrackTimeouts `json:"conntrackTimeouts,omitzero"`
}

// NodePlan is one node's names and addresses.
type NodePlan struct {
	Name    string `json:"name"`
	Netns   string `json:"netns"`
	IP      string `json:"ip"`
	PodCIDR string `json:"podCIDR"`
	// VPCLink is the VPC-side veth name of the node.
	VPCLink string `json:"vpcLink"`
}

// nodeRuntimeKubelet is Plan.NodeRuntime of a lab whose nodes run the
// upstream kubelet, containerd and runc: every lab this drill brings up.
const nodeRuntimeKubelet = "kubelet"

// netnsPrefix is the prefix of every network namespace of the lab.
func netnsPrefix(name string) string { return "drill-" + name + "-" }

func newPlan(c Config) (Plan, error) {
	vpc := netip.MustParsePrefix(c.VPCCIDR)
	pods := netip.MustParsePrefix(c.PodCIDR)
	svc := netip.MustParsePrefix(c.ServiceCIDR)
	p := Plan{
		Name:              c.Name,
		ProxyMode:         c.ProxyMode,
		NodeRuntime:       nodeRuntimeKubelet,
		ConntrackTimeouts: c.ConntrackTimeouts,
		StateDir:          filepath.Join(c.StateRoot, c.Name),
		KubeBinary:        c.KubeBinary,
		DrillBinary:       c.DrillBinary,
		VPCCIDR:           c.VPCCIDR,
		PodCIDR:           c.PodCIDR,
		ServiceCIDR:       c.ServiceCIDR,
		VPCNetns:          netnsPrefix(c.Name) + "vpc",
		VPCAddr:           nth(vpc.Addr(), 1).String(),
		CPNetns:           netnsPrefix(c.Name) + "cp",
		APIAddr:           nth(vpc.Addr(), 2).String(),
		APIPort:           6443,
		ServiceIP:         nth(svc.Addr(), 1).String(),
		RelayAddr:         c.RelayAddr,
	}
	for i := 1; i <= c.Nodes; i++ {
		base := nth(pods.Addr(), uint32(i)<<8)
		p.Nodes = append(p.Nodes, NodePlan{
			Name:    fmt.Sprintf("%s%d", nodePrefix, i),
			Netns:   fmt.Sprintf("%sn%d", netnsPrefix(c.Name), i),
			IP:      nth(vpc.Addr(), uint32(10+i)).String(),
			PodCIDR: netip.PrefixFrom(base, 24).String(),
			VPCLink: fmt.Sprintf("n%d", i),
		})
	}
	return p, nil
}

// nth returns a + n for an IPv4 address.
func nth(a netip.Addr, n uint32) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// prefixLen returns the prefix length of a CIDR string from a validated plan.
func prefixLen(cidr string) int { return netip.MustParsePrefix(cidr).Bits() }

// APIServerURL is the in-lab URL of the API server.
func (p Plan) APIServerURL() string { return fmt.Sprintf("https://%s:%d", p.APIAddr, p.APIPort) }

func (p Plan) path(elem ...string) string {
	return filepath.Join(append([]string{p.StateDir}, elem...)...)
}

// nodePrefix starts every node's name: node-1, node-2, ...
const nodePrefix = "node-"
