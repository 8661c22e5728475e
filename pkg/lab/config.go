// Package lab runs drill's embedded lab: a small but real Kubernetes cluster
// on one Linux machine. The control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) runs in a control-plane network
// namespace, each node is a network namespace (with its own mount namespace
// and cgroup) running containerd, runc, the upstream kubelet and kube-proxy,
// and a "VPC" namespace bridges them all. The host network namespace is left
// untouched: the host reaches the API server only through a loopback relay.
package lab

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/drillkit/drill/pkg/netguard"
)

// Proxy modes accepted by Config.ProxyMode.
const (
	ProxyIPTables = "iptables"
	ProxyNFTables = "nftables"
	ProxyIPVS     = "ipvs"
)

// Defaults applied by Config.withDefaults.
const (
	DefaultName         = "lab"
	DefaultNodes        = 3
	DefaultProxyMode    = ProxyIPTables
	DefaultStateRoot    = "/run/drill/labs"
	DefaultVPCCIDR      = "198.18.0.0/16"
	DefaultPodCIDR      = "198.19.0.0/17"
	DefaultServiceCIDR  = "198.19.128.0/17"
	DefaultReadyTimeout = 2 * time.Minute
	// MaxNodes bounds Config.Nodes: one /24 of the pod range per node.
	MaxNodes = 100
	// EnvLab is the environment variable carried by every process of a lab;
	// its value is the lab name. Down finds leftovers through it.
	EnvLab = "DRILL_LAB"
	// EnvKubeBinary and EnvDrillBinary override where the binaries are found.
	EnvKubeBinary  = "DRILL_KUBE_BIN"
	EnvDrillBinary = "DRILL_BIN"
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

// CheckName reports whether name can name a lab.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("lab name %q: use 1-12 lowercase letters and digits, starting with a letter", name)
	}
	return nil
}

// Config describes a lab to bring up. The zero value is usable: every empty
// field gets its Default value.
type Config struct {
	// Name identifies the lab (lowercase letters and digits, at most 12,
	// starting with a letter). Network namespaces are named drill-<Name>-*.
	Name string
	// Nodes is the number of nodes (1..MaxNodes).
	Nodes int
	// ProxyMode is kube-proxy's mode: iptables, nftables or ipvs.
	ProxyMode string
	// StateRoot holds one directory per lab (certificates, kubeconfigs, etcd
	// data, logs, pidfiles, lab.json).
	StateRoot string
	// KubeBinary is the drill-kube multi-call binary. Empty: $DRILL_KUBE_BIN,
	// else drill-kube next to DrillBinary, else drill-kube in PATH.
	KubeBinary string
	// DrillBinary is the drill binary (relay, registry, and the image of the
	// lab's drill pods). Empty: $DRILL_BIN, else the running executable.
	DrillBinary string
	// VPCCIDR is the lab VPC: .1 is the VPC namespace, .2 the API server, .(10+i) node i.
	VPCCIDR string
	// PodCIDR is split into one /24 per node: node i gets the i-th /24.
	PodCIDR string
	// ServiceCIDR is the Service cluster IP range; its first address is the
	// kubernetes Service.
	ServiceCIDR string
	// RelayAddr is the host loopback address of the API server relay; empty
	// picks a free port on 127.0.0.1.
	RelayAddr string
	// HostConntrackMax, when positive, sets the host's global
	// net.netfilter.nf_conntrack_max for the lab's lifetime (restored by
	// Down). It is the only change the lab makes to the host, and only on
	// explicit request.
	HostConntrackMax int
	// ConntrackTimeouts are written in every node's network namespace
	// (per namespace: the host's are untouched) and given to kube-proxy.
	ConntrackTimeouts ConntrackTimeouts
	// ReadyTimeout bounds the wait for the API server and all nodes Ready.
	ReadyTimeout time.Duration
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.ProxyMode == "" {
		c.ProxyMode = DefaultProxyMode
	}
	if c.StateRoot == "" {
		c.StateRoot = DefaultStateRoot
	}
	if c.VPCCIDR == "" {
		c.VPCCIDR = DefaultVPCCIDR
	}
	if c.PodCIDR == "" {
		c.PodCIDR = DefaultPodCIDR
	}
	if c.ServiceCIDR == "" {
		c.ServiceCIDR = DefaultServiceCIDR
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if err := CheckName(c.Name); err != nil {
		errs = append(errs, err)
	}
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		errs = append(errs, fmt.Errorf("nodes %d: use 1 to %d", c.Nodes, MaxNodes))
	}
	switch c.ProxyMode {
	case ProxyIPTables, ProxyNFTables, ProxyIPVS:
	default:
		errs = append(errs, fmt.Errorf("proxy mode %q: use iptables, nftables or ipvs", c.ProxyMode))
	}
	if !filepath.IsAbs(c.StateRoot) {
		errs = append(errs, fmt.Errorf("state root %q: use an absolute path", c.StateRoot))
	}
	var prefixes []netip.Prefix
	for _, f := range []struct {
		name, v string
		maxBits int
	}{{"VPC CIDR", c.VPCCIDR, 24}, {"pod CIDR", c.PodCIDR, 23}, {"service CIDR", c.ServiceCIDR, 28}} {
		p, err := netip.ParsePrefix(f.v)
		switch {
		case err != nil || !p.Addr().Is4():
			errs = append(errs, fmt.Errorf("%s %q: use an IPv4 CIDR inside 198.18.0.0/15", f.name, f.v))
			continue
		case p.Masked() != p:
			errs = append(errs, fmt.Errorf("%s %q: host bits set; use %s", f.name, f.v, p.Masked()))
		case !Range().Contains(p.Addr()) || p.Bits() < Range().Bits():
			errs = append(errs, fmt.Errorf("%s %q: must lie inside %s (lab traffic stays in the benchmarking range)", f.name, f.v, Range()))
		case p.Bits() > f.maxBits:
			errs = append(errs, fmt.Errorf("%s %q: too small; use a /%d or larger", f.name, f.v, f.maxBits))
		}
		prefixes = append(prefixes, p.Masked())
	}
	for i := range prefixes {
		for j := i + 1; j < len(prefixes); j++ {
			if prefixes[i].Overlaps(prefixes[j]) {
				errs = append(errs, fmt.Errorf("CIDRs %s and %s overlap: give VPC, pods and services disjoint ranges", prefixes[i], prefixes[j]))
			}
		}
	}
	if len(prefixes) == 3 && c.Nodes >= 1 {
		if p := prefixes[0]; c.Nodes+10 >= 1<<(32-p.Bits())-1 {
			errs = append(errs, fmt.Errorf("VPC CIDR %s has no room for %d nodes", p, c.Nodes))
		}
		if p := prefixes[1]; c.Nodes >= 1<<(24-p.Bits()) {
			errs = append(errs, fmt.Errorf("pod CIDR %s has no room for %d node /24s", p, c.Nodes))
		}
	}
	if c.RelayAddr != "" {
		ap, err := netip.ParseAddrPort(c.RelayAddr)
		if err != nil || !ap.Addr().IsLoopback() {
			errs = append(errs, fmt.Errorf("relay address %q: use a loopback address and port like 127.0.0.1:6443", c.RelayAddr))
		}
	}
	if err := validateTimeouts(c.ConntrackTimeouts); err != nil {
		errs = append(errs, err)
	}
	if c.HostConntrackMax < 0 {
		errs = append(errs, fmt.Errorf("host conntrack max %d: use a positive value, or 0 to leave the host alone", c.HostConntrackMax))
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("ready timeout %s: must be positive", c.ReadyTimeout))
	}
	return errors.Join(errs...)
}

// Range is the address range every lab address lies in (RFC 2544's
// benchmarking range): load and floods may go there, and nowhere else but
// loopback.
func Range() netip.Prefix { return netguard.LabRange() }

// findBinaries resolves KubeBinary and DrillBinary, with errors saying how to
// get them.
func (c *Config) findBinaries() error {
	var errs []error
	if c.DrillBinary == "" {
		c.DrillBinary = os.Getenv(EnvDrillBinary)
	}
	if c.DrillBinary == "" {
		exe, err := os.Executable()
		if err != nil {
			errs = append(errs, fmt.Errorf("locate the drill binary: %w; set %s", err, EnvDrillBinary))
		}
		c.DrillBinary = exe
	}
	if c.DrillBinary != "" {
		if abs, err := filepath.Abs(c.DrillBinary); err == nil {
			c.DrillBinary = abs
		}
		if err := executable(c.DrillBinary); err != nil {
			errs = append(errs, fmt.Errorf("drill binary: %w; run `make build` or set %s", err, EnvDrillBinary))
		}
	}
	if c.KubeBinary == "" {
		c.KubeBinary = os.Getenv(EnvKubeBinary)
	}
	if c.KubeBinary == "" {
		next := filepath.Join(filepath.Dir(c.DrillBinary), "drill-kube")
		if executable(next) == nil {
			c.KubeBinary = next
		} else if p, err := exec.LookPath("drill-kube"); err == nil {
			c.KubeBinary = p
		}
	}
	if c.KubeBinary == "" {
		errs = append(errs, fmt.Errorf("drill-kube (the lab's Kubernetes components) not found next to %s, in %s or in PATH: run `make kube` (a cold build takes about 8 minutes) or set %s", c.DrillBinary, EnvKubeBinary, EnvKubeBinary))
	} else {
		if abs, err := filepath.Abs(c.KubeBinary); err == nil {
			c.KubeBinary = abs
		}
		if err := executable(c.KubeBinary); err != nil {
			errs = append(errs, fmt.Errorf("drill-kube: %w; run `make kube` or set %s", err, EnvKubeBinary))
		}
	}
	return errors.Join(errs...)
}

func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}
