// Package kubelet is the lab kubelet: one process per lab node that registers
// its Node with the lab API server, keeps it Ready and runs the pods bound to it
// as processes in per-pod network namespaces.
package kubelet

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Config is the lab kubelet's configuration. pkg/lab writes it as JSON to
// <statedir>/kubelet-node-<i>.json and `drill lab kubelet --config` reads it.
type Config struct {
	// Lab is the lab name; every process the kubelet starts carries DRILL_LAB=<Lab>.
	Lab string `json:"lab"`
	// Kubeconfig is the path of a kubeconfig able to manage nodes, leases,
	// pods/status and events.
	Kubeconfig string `json:"kubeconfig"`
	// NodeName is the name of the Node object this kubelet registers.
	NodeName string `json:"nodeName"`
	// NodeIP is the node's InternalIP, e.g. 198.18.0.11.
	NodeIP string `json:"nodeIP"`
	// PodCIDR is the node's pod range, e.g. 198.19.1.0/24; its first address
	// (.1) is reserved.
	PodCIDR string `json:"podCIDR"`
	// NodeNetns is the node's network namespace name, e.g. drill-<lab>-n1. The
	// kubelet process already runs inside it.
	NodeNetns string `json:"nodeNetns"`
	// PodNetnsPrefix prefixes pod network namespace names, e.g. drill-<lab>-p-;
	// the first 8 characters of the pod UID follow.
	PodNetnsPrefix string `json:"podNetnsPrefix"`
	// DrillBinary is the drill executable that runs containers whose image is drill.
	DrillBinary string `json:"drillBinary"`
	// StateDir is a per-node directory for container logs and pidfiles.
	StateDir string `json:"stateDir"`
	// Labels are extra labels set on the Node object.
	Labels map[string]string `json:"labels,omitempty"`
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	need := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is empty: set it in the kubelet config file", name))
		}
	}
	need("lab", c.Lab)
	need("kubeconfig", c.Kubeconfig)
	need("nodeName", c.NodeName)
	need("nodeNetns", c.NodeNetns)
	need("podNetnsPrefix", c.PodNetnsPrefix)
	need("drillBinary", c.DrillBinary)
	need("stateDir", c.StateDir)
	if ip := net.ParseIP(c.NodeIP); ip == nil || ip.To4() == nil {
		errs = append(errs, fmt.Errorf("nodeIP %q is not an IPv4 address: set e.g. 198.18.0.11", c.NodeIP))
	}
	if _, n, err := net.ParseCIDR(c.PodCIDR); err != nil || n.IP.To4() == nil {
		errs = append(errs, fmt.Errorf("podCIDR %q is not an IPv4 CIDR: set e.g. 198.19.1.0/24", c.PodCIDR))
	} else if ones, _ := n.Mask.Size(); ones > 30 {
		errs = append(errs, fmt.Errorf("podCIDR %q is too small: use a /30 or larger (e.g. /24)", c.PodCIDR))
	}
	return errors.Join(errs...)
}
