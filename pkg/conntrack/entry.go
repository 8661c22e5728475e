package conntrack

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// ctnetlink attributes of a conntrack entry (linux/netfilter/nfnetlink_conntrack.h).
const (
	ctaTupleOrig  = 1
	ctaTupleReply = 2
	ctaStatus     = 3
	ctaProtoinfo  = 4
	ctaID         = 12

	ctaTupleIP    = 1
	ctaTupleProto = 2
	ctaIPv4Src    = 1
	ctaIPv4Dst    = 2
	ctaProtoNum   = 1
	ctaProtoSrc   = 2
	ctaProtoDst   = 3

	ctaProtoinfoTCP      = 1
	ctaProtoinfoTCPState = 1
)

// StatusDstNAT is the IPS_DST_NAT status bit: the entry's destination was
// rewritten (a Service's DNAT to a pod).
const StatusDstNAT = 1 << 5

// TCP conntrack states (linux/netfilter/nf_conntrack_tcp.h).
const (
	TCPNone        = 0
	TCPSynSent     = 1
	TCPSynRecv     = 2
	TCPEstablished = 3
	TCPFinWait     = 4
	TCPCloseWait   = 5
	TCPLastAck     = 6
	TCPTimeWait    = 7
	TCPClose       = 8
	TCPSynSent2    = 9
)

// NoState marks an entry without TCP state (UDP, ICMP, ...).
const NoState = 255

// Tuple is one direction of a connection.
type Tuple struct {
	Proto    uint8
	Src, Dst netip.AddrPort
}

// Entry is one IPv4 conntrack entry.
type Entry struct {
	// Orig is the direction the connection was opened in (the client's
	// packet as it arrived); Reply the answer's (its Src is the backend
	// after DNAT).
	Orig, Reply Tuple
	Status      uint32
	// TCPState is the TCP conntrack state, NoState for other protocols.
	TCPState uint8
	// ID is the kernel's entry id, used to delete exactly this entry.
	ID uint32
	// hasID is set when the kernel sent ID.
	hasID bool
}

// Proto is the entry's layer-4 protocol number.
func (e Entry) Proto() uint8 { return e.Orig.Proto }

// Dump returns every IPv4 entry of the calling thread's network namespace.
// On a large table it reads every entry: callers bound how often.
func Dump() ([]Entry, error) {
	var out []Entry
	err := Each(MsgGet, FlagDump, FamilyIPv4, func(p []byte) error {
		if e, ok := parseEntry(p); ok {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// parseEntry decodes one answer of a dump (nfgenmsg and attributes).
func parseEntry(p []byte) (Entry, bool) {
	if len(p) < 4 {
		return Entry{}, false
	}
	e := Entry{TCPState: NoState}
	err := Attrs(p[4:], func(typ uint16, v []byte) {
		switch typ {
		case ctaTupleOrig:
			e.Orig = parseTuple(v)
		case ctaTupleReply:
			e.Reply = parseTuple(v)
		case ctaStatus:
			if len(v) >= 4 {
				e.Status = binary.BigEndian.Uint32(v)
			}
		case ctaID:
			if len(v) >= 4 {
				e.ID, e.hasID = binary.BigEndian.Uint32(v), true
			}
		case ctaProtoinfo:
			_ = Attrs(v, func(t uint16, pv []byte) {
				if t != ctaProtoinfoTCP {
					return
				}
				_ = Attrs(pv, func(t uint16, sv []byte) {
					if t == ctaProtoinfoTCPState && len(sv) >= 1 {
						e.TCPState = sv[0]
					}
				})
			})
		}
	})
	return e, err == nil && e.Orig.Dst.IsValid()
}

func parseTuple(b []byte) Tuple {
	var t Tuple
	var src, dst netip.Addr
	var sport, dport uint16
	_ = Attrs(b, func(typ uint16, v []byte) {
		switch typ {
		case ctaTupleIP:
			_ = Attrs(v, func(t uint16, a []byte) {
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
			_ = Attrs(v, func(pt uint16, a []byte) {
				switch {
				case pt == ctaProtoNum && len(a) >= 1:
					t.Proto = a[0]
				case pt == ctaProtoSrc && len(a) >= 2:
					sport = binary.BigEndian.Uint16(a)
				case pt == ctaProtoDst && len(a) >= 2:
					dport = binary.BigEndian.Uint16(a)
				}
			})
		}
	})
	if src.IsValid() {
		t.Src = netip.AddrPortFrom(src, sport)
	}
	if dst.IsValid() {
		t.Dst = netip.AddrPortFrom(dst, dport)
	}
	return t
}

// encodeTuple is the inverse of parseTuple (IPv4 only).
func encodeTuple(t Tuple) []byte {
	var ip, proto []byte
	s4, d4 := t.Src.Addr().As4(), t.Dst.Addr().As4()
	ip = attr(ip, ctaIPv4Src, s4[:])
	ip = attr(ip, ctaIPv4Dst, d4[:])
	proto = attr(proto, ctaProtoNum, []byte{t.Proto})
	if t.Proto == ProtoTCP || t.Proto == ProtoUDP || t.Proto == ProtoSCTP {
		proto = attr(proto, ctaProtoSrc, binary.BigEndian.AppendUint16(nil, t.Src.Port()))
		proto = attr(proto, ctaProtoDst, binary.BigEndian.AppendUint16(nil, t.Dst.Port()))
	}
	var b []byte
	b = nested(b, ctaTupleIP, ip)
	return nested(b, ctaTupleProto, proto)
}

// ProtoName is the protocol's name as Kubernetes writes it (TCP, UDP,
// SCTP), or its number.
func ProtoName(p uint8) string {
	switch p {
	case ProtoTCP:
		return "TCP"
	case ProtoUDP:
		return "UDP"
	case ProtoSCTP:
		return "SCTP"
	case ProtoICMP:
		return "ICMP"
	}
	return strconv.Itoa(int(p))
}

// StateName is the TCP state's name as /proc/net/nf_conntrack writes it
// (ESTABLISHED, TIME_WAIT, ...), or "" for NoState.
func StateName(s uint8) string {
	names := [...]string{"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"}
	if int(s) < len(names) {
		return names[s]
	}
	return ""
}
