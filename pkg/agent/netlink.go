package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ctnetlink message types and attributes (linux/netfilter/nfnetlink_conntrack.h).
const (
	ipctnlMsgCtGetStatsCPU = 4
	ipctnlMsgCtGetStats    = 5

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

	nlaTypeMask = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
)

// conntrackStats dumps the per-CPU statistics of the calling process's
// network namespace through NETLINK_NETFILTER (IPCTNL_MSG_CT_GET_STATS_CPU),
// as `conntrack -S` does. It needs CAP_NET_ADMIN.
func conntrackStats() ([]ConntrackStats, error) {
	msgs, err := ctnetlink(ipctnlMsgCtGetStatsCPU, unix.NLM_F_DUMP)
	if err != nil {
		return nil, err
	}
	var out []ConntrackStats
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		s := ConntrackStats{CPU: int(binary.BigEndian.Uint16(m[2:4]))}
		err := attrs(m[4:], func(typ uint16, v []byte) {
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
	msgs, err := ctnetlink(ipctnlMsgCtGetStats, 0)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		err := attrs(m[4:], func(typ uint16, v []byte) {
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
	err := ctnetlinkEach(msgType, flags, unix.AF_UNSPEC, func(p []byte) error {
		out = append(out, bytes.Clone(p))
		return nil
	})
	return out, err
}

// ctnetlinkEach sends one ctnetlink request for family and calls fn with the
// payload of every answer; the payload is only valid during the call.
func ctnetlinkEach(msgType uint16, flags uint16, family uint8, fn func(payload []byte) error) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return fmt.Errorf("open netfilter netlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("bind netfilter netlink socket: %w", err)
	}
	// Receive timeout: a kernel that never answers must not hang a sample.
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("netlink receive timeout: %w", err)
	}
	const seq = 1
	req := make([]byte, unix.NLMSG_HDRLEN+4)
	binary.NativeEndian.PutUint32(req[0:4], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:6], unix.NFNL_SUBSYS_CTNETLINK<<8|msgType)
	binary.NativeEndian.PutUint16(req[6:8], unix.NLM_F_REQUEST|flags)
	binary.NativeEndian.PutUint32(req[8:12], seq)
	req[unix.NLMSG_HDRLEN] = family // nfgenmsg: family, version 0, res_id 0
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send ctnetlink request: %w", err)
	}
	buf := make([]byte, 1<<16)
	answered := false
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("receive ctnetlink answer: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("parse ctnetlink answer: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return errors.New("ctnetlink: short error message")
				}
				errno := -int32(binary.NativeEndian.Uint32(m.Data[0:4]))
				if errno == 0 { // an acknowledgement
					return nil
				}
				e := syscall.Errno(errno)
				if e == syscall.EPERM {
					return fmt.Errorf("ctnetlink: %w (needs CAP_NET_ADMIN in the node's network namespace)", os.ErrPermission)
				}
				return fmt.Errorf("ctnetlink: %w", e)
			default:
				answered = true
				if err := fn(m.Data); err != nil {
					return err
				}
			}
		}
		if flags&unix.NLM_F_DUMP == 0 && answered {
			return nil
		}
	}
}

// attrs calls fn for every netlink attribute in b.
func attrs(b []byte, fn func(typ uint16, v []byte)) error {
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
