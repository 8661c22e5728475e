package conntrack

import (
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	ct "github.com/ti-mo/conntrack"
	"github.com/ti-mo/netfilter"
)

// msgGetStatsCPU is IPCTNL_MSG_CT_GET_STATS_CPU, which ti-mo/conntrack's
// Stats sends but reads only in part.
const msgGetStatsCPU = 4

// Attributes of the per-CPU statistics.
const (
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
