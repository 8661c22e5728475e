package agent

import (
	"net/netip"
	"slices"

	"github.com/drillkit/drill/pkg/conntrack"
)

// natConn is one destination-NATed connection: where the client sent it
// (Orig) and which backend answers (Backend), both "ip:port".
type natConn struct {
	Proto       string // TCP, UDP, SCTP
	Orig        netip.AddrPort
	Backend     netip.AddrPort
	Established bool // a TCP connection in state ESTABLISHED
}

// natConnections dumps the IPv4 conntrack table of the calling process's
// network namespace and returns its destination-NATed entries. It needs
// CAP_NET_ADMIN; on a full table it reads every entry, so it is only used
// where nothing else has connection counts (the lab's IPVS emulation).
func natConnections() ([]natConn, error) {
	entries, err := conntrack.Dump()
	if err != nil {
		return nil, err
	}
	var out []natConn
	for _, e := range entries {
		if e.Status&conntrack.StatusDstNAT == 0 || !e.Reply.Src.IsValid() {
			continue
		}
		out = append(out, natConn{
			Proto:       conntrack.ProtoName(e.Proto()),
			Orig:        e.Orig.Dst,
			Backend:     e.Reply.Src,
			Established: e.Proto() == conntrack.ProtoTCP && e.TCPState == conntrack.TCPEstablished,
		})
	}
	return out, nil
}

// countConnections fills the real servers' connection counts of emulated
// virtual servers from the namespace's destination-NATed conntrack entries,
// as IPVS counts them: established TCP connections are active, every other
// entry inactive. A virtual server 0.0.0.0:<port> (a NodePort) takes the
// entries sent to that port on any address other than the cluster IPs. A
// backend that has entries but is no longer in the rules (a terminating
// endpoint) is listed with weight 0, as IPVS lists it while it drains.
func countConnections(v *IPVS, conns []natConn) {
	vips := map[netip.Addr]bool{}
	for _, vs := range v.Virtual {
		if ap, err := netip.ParseAddrPort(vs.Address); err == nil && !ap.Addr().IsUnspecified() {
			vips[ap.Addr()] = true
		}
	}
	for i := range v.Virtual {
		vs := &v.Virtual[i]
		vap, err := netip.ParseAddrPort(vs.Address)
		if err != nil {
			continue
		}
		for j := range vs.Real {
			vs.Real[j].ActiveConn, vs.Real[j].InactiveConn = 0, 0
		}
		for _, c := range conns {
			if c.Proto != vs.Protocol {
				continue
			}
			if vap.Addr().IsUnspecified() {
				if c.Orig.Port() != vap.Port() || vips[c.Orig.Addr()] {
					continue
				}
			} else if c.Orig != vap {
				continue
			}
			j := slices.IndexFunc(vs.Real, func(r RealServer) bool { return r.Address == c.Backend.String() })
			if j < 0 {
				// A backend no longer in the rules (terminating) whose
				// connections still flow: IPVS shows it with weight 0.
				vs.Real = append(vs.Real, RealServer{Address: c.Backend.String(), Weight: 0})
				j = len(vs.Real) - 1
			}
			if c.Established {
				vs.Real[j].ActiveConn++
			} else {
				vs.Real[j].InactiveConn++
			}
		}
	}
}
