package agent

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// ctnetlink attributes of a conntrack entry (linux/netfilter/nfnetlink_conntrack.h).
const (
	ipctnlMsgCtGet = 1

	ctaTupleOrig  = 1
	ctaTupleReply = 2
	ctaStatus     = 3
	ctaProtoinfo  = 4

	ctaTupleIP    = 1
	ctaTupleProto = 2
	ctaIPv4Src    = 1
	ctaIPv4Dst    = 2
	ctaProtoNum   = 1
	ctaProtoSrc   = 2
	ctaProtoDst   = 3

	ctaProtoinfoTCP      = 1
	ctaProtoinfoTCPState = 1

	ipsDstNAT             = 1 << 5
	tcpConntrackEstablish = 3
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
	var out []natConn
	err := ctnetlinkEach(ipctnlMsgCtGet, unix.NLM_F_DUMP, unix.AF_INET, func(p []byte) error {
		if len(p) < 4 {
			return nil
		}
		var (
			status      uint32
			orig, reply tuple
			state       uint8 = 255
		)
		err := attrs(p[4:], func(typ uint16, v []byte) {
			switch typ {
			case ctaTupleOrig:
				orig = parseTuple(v)
			case ctaTupleReply:
				reply = parseTuple(v)
			case ctaStatus:
				if len(v) >= 4 {
					status = binary.BigEndian.Uint32(v)
				}
			case ctaProtoinfo:
				_ = attrs(v, func(t uint16, pv []byte) {
					if t != ctaProtoinfoTCP {
						return
					}
					_ = attrs(pv, func(t uint16, sv []byte) {
						if t == ctaProtoinfoTCPState && len(sv) >= 1 {
							state = sv[0]
						}
					})
				})
			}
		})
		if err != nil || status&ipsDstNAT == 0 || !orig.dst.IsValid() || !reply.src.IsValid() {
			return nil
		}
		out = append(out, natConn{
			Proto:       protoName(orig.proto),
			Orig:        orig.dst,
			Backend:     reply.src,
			Established: orig.proto == unix.IPPROTO_TCP && state == tcpConntrackEstablish,
		})
		return nil
	})
	return out, err
}

type tuple struct {
	proto    uint8
	src, dst netip.AddrPort
}

func parseTuple(b []byte) tuple {
	var t tuple
	var src, dst netip.Addr
	var sport, dport uint16
	_ = attrs(b, func(typ uint16, v []byte) {
		switch typ {
		case ctaTupleIP:
			_ = attrs(v, func(t uint16, a []byte) {
				if len(a) != 4 {
					return
				}
				switch t {
				case ctaIPv4Src:
					src = netip.AddrFrom4([4]byte(a))
				case ctaIPv4Dst:
					dst = netip.AddrFrom4([4]byte(a))
				}
			})
		case ctaTupleProto:
			_ = attrs(v, func(pt uint16, a []byte) {
				switch {
				case pt == ctaProtoNum && len(a) >= 1:
					t.proto = a[0]
				case pt == ctaProtoSrc && len(a) >= 2:
					sport = binary.BigEndian.Uint16(a)
				case pt == ctaProtoDst && len(a) >= 2:
					dport = binary.BigEndian.Uint16(a)
				}
			})
		}
	})
	if src.IsValid() {
		t.src = netip.AddrPortFrom(src, sport)
	}
	if dst.IsValid() {
		t.dst = netip.AddrPortFrom(dst, dport)
	}
	return t
}

func protoName(p uint8) string {
	switch p {
	case unix.IPPROTO_TCP:
		return "TCP"
	case unix.IPPROTO_UDP:
		return "UDP"
	case unix.IPPROTO_SCTP:
		return "SCTP"
	}
	return strconv.Itoa(int(p))
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
