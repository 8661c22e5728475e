package agent

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/drillkit/drill/pkg/conntrack"
)

// ctnetlink statistics attributes (linux/netfilter/nfnetlink_conntrack.h).
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

	ctaStatsGlobalEntries    = 1
	ctaStatsGlobalMaxEntries = 2
)

// conntrackStats dumps the per-CPU statistics of the calling process's
// network namespace through NETLINK_NETFILTER (IPCTNL_MSG_CT_GET_STATS_CPU),
// as `conntrack -S` does. It needs CAP_NET_ADMIN.
func conntrackStats() ([]ConntrackStats, error) {
	msgs, err := ctnetlink(conntrack.MsgGetStatsCPU, conntrack.FlagDump)
	if err != nil {
		return nil, err
	}
	var out []ConntrackStats
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		s := ConntrackStats{CPU: int(binary.BigEndian.Uint16(m[2:4]))}
		err := conntrack.Attrs(m[4:], func(typ uint16, v []byte) {
			if len(v) < 4 {
				return
			}
			n := uint64(binary.BigEndian.Uint32(v))
			switch typ {
			case ctaStatsFound:
				s.Found = n
			case ctaStatsInvalid:
				s.Invalid = n
			case ctaStatsInsert:
				s.Insert = n
			case ctaStatsInsertFailed:
				s.InsertFailed = n
			case ctaStatsDrop:
				s.Drop = n
			case ctaStatsEarlyDrop:
				s.EarlyDrop = n
			case ctaStatsError:
				s.Error = n
			case ctaStatsSearchRestart:
				s.SearchRestart = n
			case ctaStatsClashResolve:
				s.ClashResolve = n
			case ctaStatsChainTooLong:
				s.ChainTooLong = n
			}
		})
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("conntrack statistics: the kernel returned no CPU")
	}
	return out, nil
}

// conntrackGlobal reads the namespace's entry count and the kernel-wide
// limit through netlink (IPCTNL_MSG_CT_GET_STATS).
func conntrackGlobal() (count, max int64, err error) {
	msgs, err := ctnetlink(conntrack.MsgGetStats, 0)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		err := conntrack.Attrs(m[4:], func(typ uint16, v []byte) {
			if len(v) < 4 {
				return
			}
			switch typ {
			case ctaStatsGlobalEntries:
				count = int64(binary.BigEndian.Uint32(v))
			case ctaStatsGlobalMaxEntries:
				max = int64(binary.BigEndian.Uint32(v))
			}
		})
		if err != nil {
			return 0, 0, err
		}
	}
	return count, max, nil
}

// ctnetlink sends one ctnetlink request and returns copies of the payloads
// (nfgenmsg and attributes) of the answers.
func ctnetlink(msgType uint16, flags uint16) ([][]byte, error) {
	var out [][]byte
	err := conntrack.Each(msgType, flags, conntrack.FamilyUnspec, func(p []byte) error {
		out = append(out, bytes.Clone(p))
		return nil
	})
	return out, err
}
