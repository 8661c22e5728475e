package conntrack

import (
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/ti-mo/netfilter"
)

// msgDelete is IPCTNL_MSG_CT_DELETE (linux/netfilter/nfnetlink_conntrack.h).
const msgDelete = 2

// Attributes of a delete request (linux/netfilter/nfnetlink_conntrack.h).
const (
	ctaTupleOrig = 1
	ctaID        = 12

	ctaTupleIP    = 1
	ctaTupleProto = 2
	ctaIPv4Src    = 1
	ctaIPv4Dst    = 2
	ctaProtoNum   = 1
	ctaProtoSrc   = 2
	ctaProtoDst   = 3
	ctaICMPID     = 4
	ctaICMPType   = 5
	ctaICMPCode   = 6
)

// deleter deletes entries over one socket.
type deleter struct{ c *netfilter.Conn }

// openDeleter opens a socket in the calling thread's network namespace.
func openDeleter() (*deleter, error) {
	c, err := netfilter.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("open ctnetlink socket: %w", err)
	}
	return &deleter{c: c}, nil
}

func (d *deleter) Close() error { return d.c.Close() }

// Delete deletes the entry e by its original tuple and id, so that a new
// connection reusing the tuple is left alone. (ti-mo/conntrack's Delete
// does not send CTA_ID, hence the request built here from typed
// attributes.) An entry gone meanwhile is an error that matches
// syscall.ENOENT.
func (d *deleter) Delete(e Entry) error {
	attrs := []netfilter.Attribute{{Type: ctaTupleOrig, Nested: true, Children: tupleAttrs(e.Orig, e.icmp)}}
	if e.hasID {
		attrs = append(attrs, netfilter.Attribute{Type: ctaID, Data: netfilter.Uint32Bytes(e.ID)})
	}
	req, err := netfilter.MarshalNetlink(netfilter.Header{
		SubsystemID: netfilter.NFSubsysCTNetlink,
		MessageType: msgDelete,
		Family:      netfilter.ProtoIPv4,
		Flags:       netlink.Request | netlink.Acknowledge,
	}, attrs)
	if err != nil {
		return err
	}
	if err := d.c.SetDeadline(time.Now().Add(answerTimeout)); err != nil {
		return err
	}
	_, err = d.c.Query(req)
	return explain(err)
}

// tupleAttrs are the CTA_TUPLE_IP and CTA_TUPLE_PROTO attributes of t.
func tupleAttrs(t Tuple, icmp icmpKey) []netfilter.Attribute {
	src, dst := t.Src.Addr().As4(), t.Dst.Addr().As4()
	proto := []netfilter.Attribute{{Type: ctaProtoNum, Data: []byte{t.Proto}}}
	switch t.Proto {
	case ProtoTCP, ProtoUDP, ProtoSCTP:
		proto = append(proto,
			netfilter.Attribute{Type: ctaProtoSrc, Data: netfilter.Uint16Bytes(t.Src.Port())},
			netfilter.Attribute{Type: ctaProtoDst, Data: netfilter.Uint16Bytes(t.Dst.Port())})
	case ProtoICMP:
		proto = append(proto,
			netfilter.Attribute{Type: ctaICMPID, Data: netfilter.Uint16Bytes(icmp.id)},
			netfilter.Attribute{Type: ctaICMPType, Data: []byte{icmp.typ}},
			netfilter.Attribute{Type: ctaICMPCode, Data: []byte{icmp.code}})
	}
	return []netfilter.Attribute{
		{Type: ctaTupleIP, Nested: true, Children: []netfilter.Attribute{
			{Type: ctaIPv4Src, Data: src[:]},
			{Type: ctaIPv4Dst, Data: dst[:]},
		}},
		{Type: ctaTupleProto, Nested: true, Children: proto},
	}
}
