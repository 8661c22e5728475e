package conntrack

import (
	"fmt"
	"net/netip"
	"time"

	ct "github.com/ti-mo/conntrack"
)

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
