// Package conntrack talks to the kernel's connection tracking table through
// ctnetlink (NETLINK_NETFILTER), as `conntrack -L/-D/-S` does: it dumps the
// entries of the calling thread's network namespace, deletes those matching
// a filter, and sends the requests the node agent reads its statistics with.
// Everything needs CAP_NET_ADMIN in the network namespace.
package conntrack

import (
	"encoding/binary"
	"fmt"
)

// ctnetlink message types (linux/netfilter/nfnetlink_conntrack.h).
const (
	MsgGet         = 1
	MsgDelete      = 2
	MsgGetStatsCPU = 4
	MsgGetStats    = 5
)

// nlaTypeMask clears NLA_F_NESTED and NLA_F_NET_BYTEORDER.
const nlaTypeMask = 0x3fff

const nlaFNested = 0x8000

// Layer-4 protocol numbers (IANA's).
const (
	ProtoICMP = 1
	ProtoTCP  = 6
	ProtoUDP  = 17
	ProtoSCTP = 132
)

// Request flags and address families, numbered as in Linux's netlink ABI.
const (
	FlagAck      = 0x4   // NLM_F_ACK
	FlagDump     = 0x300 // NLM_F_DUMP
	FamilyUnspec = 0     // AF_UNSPEC
	FamilyIPv4   = 2     // AF_INET
)

// Each opens a socket, sends one request without attributes and calls fn
// with the payload of every answer.
func Each(msgType, flags uint16, family uint8, fn func(payload []byte) error) error {
	s, err := Open()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Request(msgType, flags, family, nil, fn)
}

// Attrs calls fn for every netlink attribute in b, with its type stripped of
// the nested and byte-order flags.
func Attrs(b []byte, fn func(typ uint16, v []byte)) error {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return fmt.Errorf("netlink attribute of length %d in %d bytes", l, len(b))
		}
		fn(typ, b[4:l])
		a := (l + 3) &^ 3
		if a > len(b) {
			break
		}
		b = b[a:]
	}
	return nil
}

// attr appends one netlink attribute (padded to 4 bytes) to b.
func attr(b []byte, typ uint16, v []byte) []byte {
	l := 4 + len(v)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for range (4 - l%4) % 4 {
		b = append(b, 0)
	}
	return b
}

// nested appends a nested attribute holding inner.
func nested(b []byte, typ uint16, inner []byte) []byte {
	return attr(b, typ|nlaFNested, inner)
}
