//go:build linux

package vpccni

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// netnsHandle is a netlink handle on the network namespace at path (the
// calling thread never switches namespace).
func netnsHandle(path string) (*netlink.Handle, netns.NsHandle, error) {
	nsh, err := netns.GetFromPath(path)
	if err != nil {
		return nil, 0, fmt.Errorf("network namespace %s: %w", path, err)
	}
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		nsh.Close()
		return nil, 0, fmt.Errorf("network namespace %s: %w", path, err)
	}
	return h, nsh, nil
}

// hostHandle is a netlink handle on the node's network namespace: the
// one at path, or the calling thread's when path is empty.
func hostHandle(path string) (*netlink.Handle, func(), error) {
	if path == "" {
		h, err := netlink.NewHandle()
		if err != nil {
			return nil, nil, err
		}
		return h, h.Close, nil
	}
	h, nsh, err := netnsHandle(path)
	if err != nil {
		return nil, nil, err
	}
	return h, func() { h.Close(); nsh.Close() }, nil
}

func host32(ip net.IP) *net.IPNet { return &net.IPNet{IP: ip.To4(), Mask: net.CIDRMask(32, 32)} }

func linkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// setUp creates the veth pair of a pod and lays it out as the VPC CNI
// does: in the pod, podIP/32 on ifName, a link route to Gateway, the
// default route via it and a permanent neighbour entry for it holding the
// host end's MAC; on the node, the host end up without an address and a
// /32 route to podIP through it. On error it removes what it made.
func setUp(hh *netlink.Handle, c *Config, netnsPath, ifName, hostName string, podIP net.IP) (host, cont Link, err error) {
	ch, nsh, err := netnsHandle(netnsPath)
	if err != nil {
		return Link{}, Link{}, err
	}
	defer nsh.Close()
	defer ch.Close()

	// A host end left by an earlier ADD of the same container goes first.
	if old, err := hh.LinkByName(hostName); err == nil {
		if err := hh.LinkDel(old); err != nil {
			return Link{}, Link{}, fmt.Errorf("remove the stale veth %s: %w", hostName, err)
		}
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: hostName, MTU: c.MTU},
		PeerName:      ifName,
		PeerNamespace: netlink.NsFd(int(nsh)),
		PeerMTU:       uint32(c.MTU),
	}
	if err := hh.LinkAdd(veth); err != nil {
		return Link{}, Link{}, fmt.Errorf("create veth %s with peer %s in %s: %w", hostName, ifName, netnsPath, err)
	}
	defer func() {
		if err != nil {
			if l, lerr := hh.LinkByName(hostName); lerr == nil {
				_ = hh.LinkDel(l)
			}
		}
	}()
	hl, err := hh.LinkByName(hostName)
	if err != nil {
		return Link{}, Link{}, err
	}
	if err := hh.LinkSetUp(hl); err != nil {
		return Link{}, Link{}, fmt.Errorf("set %s up: %w", hostName, err)
	}
	cl, err := ch.LinkByName(ifName)
	if err != nil {
		return Link{}, Link{}, fmt.Errorf("%s in %s: %w", ifName, netnsPath, err)
	}
	hostMAC := hl.Attrs().HardwareAddr
	steps := []struct {
		what string
		do   func() error
	}{
		{"set " + ifName + " up", func() error { return ch.LinkSetUp(cl) }},
		{"add " + podIP.String() + "/32 to " + ifName, func() error { return ch.AddrAdd(cl, &netlink.Addr{IPNet: host32(podIP)}) }},
		{"add the route to " + Gateway.String(), func() error {
			return ch.RouteAdd(&netlink.Route{LinkIndex: cl.Attrs().Index, Dst: host32(Gateway), Scope: netlink.SCOPE_LINK})
		}},
		{"add the default route", func() error {
			return ch.RouteAdd(&netlink.Route{LinkIndex: cl.Attrs().Index, Gw: Gateway})
		}},
		{"add the permanent neighbour " + Gateway.String(), func() error {
			return ch.NeighSet(&netlink.Neigh{LinkIndex: cl.Attrs().Index, Family: netlink.FAMILY_V4,
				State: netlink.NUD_PERMANENT, IP: Gateway, HardwareAddr: hostMAC})
		}},
		{"add the node's route to " + podIP.String(), func() error {
			return hh.RouteReplace(&netlink.Route{LinkIndex: hl.Attrs().Index, Dst: host32(podIP), Scope: netlink.SCOPE_LINK})
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return Link{}, Link{}, fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return Link{Name: hostName, MAC: hostMAC},
		Link{Name: ifName, MAC: cl.Attrs().HardwareAddr, Sandbox: netnsPath}, nil
}

// tearDown removes a pod's veth pair (and with it both routes and the
// neighbour entry); what is already gone, the network namespace included,
// is no error.
func tearDown(hh *netlink.Handle, netnsPath, ifName, hostName string) error {
	if netnsPath != "" {
		ch, nsh, err := netnsHandle(netnsPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		default:
			defer nsh.Close()
			defer ch.Close()
			l, err := ch.LinkByName(ifName)
			if err == nil {
				err = ch.LinkDel(l)
			}
			if err != nil && !linkNotFound(err) {
				return fmt.Errorf("remove %s in %s: %w", ifName, netnsPath, err)
			}
		}
	}
	l, err := hh.LinkByName(hostName)
	if err == nil {
		err = hh.LinkDel(l)
	}
	if err != nil && !linkNotFound(err) {
		return fmt.Errorf("remove %s: %w", hostName, err)
	}
	return nil
}

// check compares both namespaces with an attachment and reports every
// difference at once.
func check(hh *netlink.Handle, netnsPath string, a Attachment) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	hl, err := hh.LinkByName(a.Host.Name)
	if err != nil {
		return fmt.Errorf("host veth %s: %w", a.Host.Name, err)
	}
	checkLink(hl, a.Host.MAC, bad)
	if addrs, err := hh.AddrList(hl, netlink.FAMILY_V4); err != nil {
		bad("addresses of %s: %w", a.Host.Name, err)
	} else if len(addrs) > 0 {
		bad("host veth %s has IPv4 addresses %v, want none", a.Host.Name, addrs)
	}
	if rs, err := hh.RouteList(hl, netlink.FAMILY_V4); err != nil {
		bad("routes of %s: %w", a.Host.Name, err)
	} else if !hasRoute(rs, host32(a.PodIP), nil, netlink.SCOPE_LINK) {
		bad("no route %s/32 dev %s scope link on the node", a.PodIP, a.Host.Name)
	}

	ch, nsh, err := netnsHandle(netnsPath)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer nsh.Close()
	defer ch.Close()
	cl, err := ch.LinkByName(a.Cont.Name)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("%s in %s: %w", a.Cont.Name, netnsPath, err))...)
	}
	checkLink(cl, a.Cont.MAC, bad)
	if addrs, err := ch.AddrList(cl, netlink.FAMILY_V4); err != nil {
		bad("addresses of %s: %w", a.Cont.Name, err)
	} else if len(addrs) != 1 || addrs[0].IPNet.String() != host32(a.PodIP).String() {
		bad("%s has IPv4 addresses %v, want %s/32 alone", a.Cont.Name, addrs, a.PodIP)
	}
	if rs, err := ch.RouteList(cl, netlink.FAMILY_V4); err != nil {
		bad("routes of %s: %w", a.Cont.Name, err)
	} else {
		if !hasRoute(rs, host32(Gateway), nil, netlink.SCOPE_LINK) {
			bad("no route %s dev %s scope link in the pod", Gateway, a.Cont.Name)
		}
		if !hasRoute(rs, nil, Gateway, netlink.SCOPE_UNIVERSE) {
			bad("no default route via %s dev %s in the pod", Gateway, a.Cont.Name)
		}
	}
	if ns, err := ch.NeighList(cl.Attrs().Index, netlink.FAMILY_V4); err != nil {
		bad("neighbours of %s: %w", a.Cont.Name, err)
	} else if !hasGatewayNeigh(ns, a.Host.MAC) {
		bad("no permanent neighbour %s lladdr %s on %s in the pod: %v", Gateway, a.Host.MAC, a.Cont.Name, ns)
	}
	return errors.Join(errs...)
}

func checkLink(l netlink.Link, mac net.HardwareAddr, bad func(string, ...any)) {
	at := l.Attrs()
	if l.Type() != "veth" {
		bad("%s is a %s, want a veth", at.Name, l.Type())
	}
	if !bytes.Equal(at.HardwareAddr, mac) {
		bad("%s has MAC %s, want %s", at.Name, at.HardwareAddr, mac)
	}
	if at.Flags&net.FlagUp == 0 {
		bad("%s is down", at.Name)
	}
}

// hasRoute reports whether rs has a route to dst (nil: the default route)
// via gw (nil: none) with scope.
func hasRoute(rs []netlink.Route, dst *net.IPNet, gw net.IP, scope netlink.Scope) bool {
	for _, r := range rs {
		isDefault := r.Dst == nil || (r.Dst.IP.IsUnspecified() && maskBits(r.Dst) == 0)
		dstOK := (dst == nil && isDefault) || (dst != nil && r.Dst != nil && r.Dst.String() == dst.String())
		if dstOK && r.Gw.Equal(gw) && r.Scope == scope {
			return true
		}
	}
	return false
}

func maskBits(n *net.IPNet) int { ones, _ := n.Mask.Size(); return ones }

func hasGatewayNeigh(ns []netlink.Neigh, mac net.HardwareAddr) bool {
	for _, n := range ns {
		if n.IP.Equal(Gateway) && n.State&netlink.NUD_PERMANENT != 0 && bytes.Equal(n.HardwareAddr, mac) {
			return true
		}
	}
	return false
}
