// Package conntrack reads and edits the kernel's connection tracking table
// through ctnetlink, as `conntrack -L/-D/-S` does: it dumps the entries of
// the calling thread's network namespace, deletes those matching a filter,
// and reads the table's statistics. The messages are built and parsed by
// github.com/ti-mo/conntrack and github.com/ti-mo/netfilter (Linux only; on
// other systems every call fails with errors.ErrUnsupported). Everything
// needs CAP_NET_ADMIN in the network namespace.
package conntrack

import (
	"net/netip"
	"strconv"
)

// Layer-4 protocol numbers (IANA's).
const (
	ProtoICMP = 1
	ProtoTCP  = 6
	ProtoUDP  = 17
	ProtoSCTP = 132
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
	// icmp identifies an ICMP entry's original direction, which has no
	// ports.
	icmp icmpKey
}

type icmpKey struct {
	id        uint16
	typ, code uint8
}

// Proto is the entry's layer-4 protocol number.
func (e Entry) Proto() uint8 { return e.Orig.Proto }

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
