package conntrack

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/mdlayher/netlink"
	ct "github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"
)

// answerTimeout bounds every request: a kernel that never answers must not
// hang a caller. A dump has dumpTimePerEntry more for each entry of the
// table (about ten times what one costs on a loaded 2-core machine).
const (
	answerTimeout    = 2 * time.Second
	dumpTimePerEntry = 100 * time.Microsecond
)

// ctnetlink message types the library has no call for
// (linux/netfilter/nfnetlink_conntrack.h).
const (
	msgDelete      = 2
	msgGetStatsCPU = 4
)

// Attributes of a delete request and of the per-CPU statistics.
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

	ctaStatsFound         = 2
	ctaStatsInvalid       = 4
	ctaStatsInsert        = 8
	ctaStatsInsertFailed  = 9
	ctaStatsDrop          = 10
	ctaStatsEarlyDrop     = 11
	ctaStatsError         = 12
	ctaStatsSearchRestart = 13
	ctaStatsClashResolve  = 14
	ctaStatsChainTooLong  = 15
)

// Every socket below is opened by netlink.Dial without a namespace in its
// configuration: mdlayher/socket then calls socket(2) on the calling
// goroutine, so the socket belongs to the calling thread's network
// namespace (the one netns.Do entered), for its whole life.

// Dump returns every IPv4 entry of the calling thread's network namespace.
// On a large table it reads every entry: callers bound how often.
func Dump() ([]Entry, error) {
	var flows []ct.Flow
	err := withConn(func(c *ct.Conn, extend func(time.Duration)) error {
		g, err := c.StatsGlobal()
		if err != nil {
			return err
		}
		extend(time.Duration(g.Entries) * dumpTimePerEntry)
		flows, err = c.Dump(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dump the conntrack table: %w", err)
	}
	out := make([]Entry, 0, len(flows))
	for _, f := range flows {
		if e, ok := entryOf(f); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// entryOf is the IPv4 entry of flow f; false for IPv6 and incomplete flows.
func entryOf(f ct.Flow) (Entry, bool) {
	o := f.TupleOrig
	if !o.IP.SourceAddress.Is4() || !o.IP.DestinationAddress.Is4() {
		return Entry{}, false
	}
	e := Entry{
		Orig:     tupleOf(f.TupleOrig),
		Reply:    tupleOf(f.TupleReply),
		Status:   uint32(f.Status),
		TCPState: NoState,
		ID:       f.ID,
		hasID:    f.ID != 0,
		icmp:     icmpKey{id: o.Proto.ICMPID, typ: o.Proto.ICMPType, code: o.Proto.ICMPCode},
	}
	if f.ProtoInfo.TCP != nil {
		e.TCPState = f.ProtoInfo.TCP.State
	}
	return e, true
}

func tupleOf(t ct.Tuple) Tuple {
	out := Tuple{Proto: t.Proto.Protocol}
	if t.IP.SourceAddress.Is4() {
		out.Src = netip.AddrPortFrom(t.IP.SourceAddress, t.Proto.SourcePort)
	}
	if t.IP.DestinationAddress.Is4() {
		out.Dst = netip.AddrPortFrom(t.IP.DestinationAddress, t.Proto.DestinationPort)
	}
	return out
}

// Global reads the namespace's entry count and the kernel-wide limit
// (IPCTNL_MSG_CT_GET_STATS).
func Global() (GlobalStats, error) {
	var g ct.StatsGlobal
	err := withConn(func(c *ct.Conn, _ func(time.Duration)) error {
		var err error
		g, err = c.StatsGlobal()
		return err
	})
	if err != nil {
		return GlobalStats{}, fmt.Errorf("conntrack global statistics: %w", err)
	}
	return GlobalStats{Count: int64(g.Entries), Max: int64(g.MaxEntries)}, nil
}

// Stats reads the per-CPU statistics of the calling thread's network
// namespace, as `conntrack -S` does. ti-mo/conntrack's Stats drops
// clash_resolve and chaintoolong (Linux 5.x counters), so the request goes
// through ti-mo/netfilter and every counter is read from its attributes.
func Stats() ([]CPUStats, error) {
	req, err := netfilter.MarshalNetlink(netfilter.Header{
		SubsystemID: netfilter.NFSubsysCTNetlink,
		MessageType: msgGetStatsCPU,
		Family:      netfilter.ProtoUnspec,
		Flags:       netlink.Request | netlink.Dump,
	}, nil)
	if err != nil {
		return nil, err
	}
	var msgs []netlink.Message
	err = withNetfilter(func(c *netfilter.Conn) error {
		msgs, err = c.Query(req)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("conntrack statistics: %w", err)
	}
	out := make([]CPUStats, 0, len(msgs))
	for _, m := range msgs {
		h, attrs, err := netfilter.UnmarshalNetlink(m)
		if err != nil {
			return nil, fmt.Errorf("conntrack statistics: %w", err)
		}
		s := CPUStats{CPU: int(h.ResourceID)}
		for _, a := range attrs {
			if p := s.counter(a.Type); p != nil && len(a.Data) == 4 {
				*p = uint64(a.Uint32())
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("conntrack statistics: the kernel returned no CPU")
	}
	return out, nil
}

// counter is the field of s that attribute typ counts into, or nil.
func (s *CPUStats) counter(typ uint16) *uint64 {
	switch typ {
	case ctaStatsFound:
		return &s.Found
	case ctaStatsInvalid:
		return &s.Invalid
	case ctaStatsInsert:
		return &s.Insert
	case ctaStatsInsertFailed:
		return &s.InsertFailed
	case ctaStatsDrop:
		return &s.Drop
	case ctaStatsEarlyDrop:
		return &s.EarlyDrop
	case ctaStatsError:
		return &s.Error
	case ctaStatsSearchRestart:
		return &s.SearchRestart
	case ctaStatsClashResolve:
		return &s.ClashResolve
	case ctaStatsChainTooLong:
		return &s.ChainTooLong
	}
	return nil
}

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

// withConn runs fn with a ti-mo/conntrack socket opened in the calling
// thread's network namespace. The library has no deadline, so the socket is
// closed under fn if the kernel has not answered within answerTimeout; fn
// calls extend(d) before a long request to have answerTimeout+d from then.
func withConn(fn func(c *ct.Conn, extend func(time.Duration)) error) error {
	c, err := ct.Dial(nil)
	if err != nil {
		return fmt.Errorf("open ctnetlink socket: %w", explain(err))
	}
	limit := answerTimeout
	expired := time.AfterFunc(limit, func() { c.Close() })
	extend := func(d time.Duration) {
		if expired.Stop() { // not fired yet: the socket is still open
			limit = answerTimeout + d
			expired.Reset(limit)
		}
	}
	err = fn(c, extend)
	if expired.Stop() {
		c.Close()
	} else if err != nil {
		err = fmt.Errorf("no answer within %s: %w", limit, err)
	}
	return explain(err)
}

// withNetfilter runs fn with a ti-mo/netfilter socket opened in the calling
// thread's network namespace, with a deadline for the answers.
func withNetfilter(fn func(*netfilter.Conn) error) error {
	c, err := netfilter.Dial(nil)
	if err != nil {
		return fmt.Errorf("open ctnetlink socket: %w", explain(err))
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(answerTimeout)); err != nil {
		return err
	}
	return explain(fn(c))
}

// explain adds what a permission error needs.
func explain(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (needs CAP_NET_ADMIN in the node's network namespace)", err)
	}
	return err
}
