package vpccni

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// Gateway is the link-local address every pod routes through: no interface
// has it, the pod reaches it by a permanent neighbour entry holding the
// host-side veth's MAC, as under the VPC CNI.
var Gateway = net.IPv4(169, 254, 1, 1).To4()

// HostVethName is the host-side veth of a container's interface: the
// prefix and 11 hex digits of a hash of the container ID and interface
// name, so DEL finds it again without the network namespace.
func HostVethName(prefix, containerID, ifName string) string {
	sum := sha1.Sum([]byte(containerID + "/" + ifName))
	return prefix + hex.EncodeToString(sum[:])[:11]
}

// PodAddress is the single IPv4 address an IPAM result allocated.
func PodAddress(ipam types.Result) (net.IP, error) {
	r, err := current.NewResultFromResult(ipam)
	if err != nil {
		return nil, fmt.Errorf("IPAM result: %w", err)
	}
	var v4 []net.IP
	for _, ip := range r.IPs {
		if ip4 := ip.Address.IP.To4(); ip4 != nil {
			v4 = append(v4, ip4)
		} else {
			return nil, fmt.Errorf("IPAM result: address %s: IPv6 is not supported", ip.Address.String())
		}
	}
	if len(v4) != 1 {
		return nil, fmt.Errorf("IPAM result: %d IPv4 addresses, want exactly one", len(v4))
	}
	return v4[0], nil
}

// Link is one end of the pod's veth pair as the result names it.
type Link struct {
	Name    string
	MAC     net.HardwareAddr
	Sandbox string // the container's network namespace; empty for the host end
}

// BuildResult is ADD's result: the host end and the container end, the pod's
// address as a /32 on the container end with the link-local gateway, the
// default route through it and the configuration's DNS.
func BuildResult(c *Config, podIP net.IP, host, cont Link) (*current.Result, error) {
	ip4 := podIP.To4()
	if ip4 == nil {
		return nil, errors.New("pod address must be IPv4")
	}
	if cont.Sandbox == "" {
		return nil, errors.New("container interface has no sandbox")
	}
	contIndex := 1
	return &current.Result{
		CNIVersion: c.CNIVersion,
		Interfaces: []*current.Interface{
			{Name: host.Name, Mac: host.MAC.String()},
			{Name: cont.Name, Mac: cont.MAC.String(), Sandbox: cont.Sandbox},
		},
		IPs: []*current.IPConfig{{
			Interface: &contIndex,
			Address:   net.IPNet{IP: ip4, Mask: net.CIDRMask(32, 32)},
			Gateway:   Gateway,
		}},
		Routes: []*types.Route{{Dst: net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, GW: Gateway}},
		DNS:    c.DNS,
	}, nil
}

// Attachment is what CHECK compares the links with, read from a previous
// result: the pod's address and both veth ends.
type Attachment struct {
	PodIP net.IP
	Host  Link
	Cont  Link
}

// AttachmentOf reads the attachment of ifName from a result BuildResult
// made.
func AttachmentOf(r *current.Result, ifName, netns string) (Attachment, error) {
	var a Attachment
	var errs []error
	contIndex := -1
	for i, iface := range r.Interfaces {
		mac, err := net.ParseMAC(iface.Mac)
		if err != nil {
			errs = append(errs, fmt.Errorf("interfaces[%d] %s: mac %q: %w", i, iface.Name, iface.Mac, err))
			continue
		}
		switch {
		case iface.Sandbox == "":
			a.Host = Link{Name: iface.Name, MAC: mac}
		case iface.Name == ifName:
			if iface.Sandbox != netns {
				errs = append(errs, fmt.Errorf("interfaces[%d] %s: sandbox %s, want %s", i, iface.Name, iface.Sandbox, netns))
			}
			a.Cont = Link{Name: iface.Name, MAC: mac, Sandbox: iface.Sandbox}
			contIndex = i
		}
	}
	if a.Host.Name == "" {
		errs = append(errs, errors.New("no host interface"))
	}
	if contIndex < 0 {
		errs = append(errs, fmt.Errorf("no interface %s in a sandbox", ifName))
	}
	for _, ip := range r.IPs {
		if ip.Interface != nil && *ip.Interface == contIndex && ip.Address.IP.To4() != nil {
			a.PodIP = ip.Address.IP.To4()
		}
	}
	if contIndex >= 0 && a.PodIP == nil {
		errs = append(errs, fmt.Errorf("no IPv4 address on %s", ifName))
	}
	if len(errs) > 0 {
		return Attachment{}, fmt.Errorf("prevResult: %w", errors.Join(errs...))
	}
	return a, nil
}
