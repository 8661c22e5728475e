package conntrack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Socket is one ctnetlink socket. It is bound to the network namespace of
// the thread that opened it for its whole life.
type Socket struct {
	fd  int
	seq uint32
}

// Open opens a ctnetlink socket in the calling thread's network namespace.
func Open() (*Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("open netfilter netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind netfilter netlink socket: %w", err)
	}
	// Receive timeout: a kernel that never answers must not hang a caller.
	tv := unix.Timeval{Sec: 2}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink receive timeout: %w", err)
	}
	// A dump of a large table answers in many buffers: make room for them.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	return &Socket{fd: fd}, nil
}

// Close closes the socket.
func (s *Socket) Close() error { return unix.Close(s.fd) }

// Request sends one ctnetlink request of msgType for family with the given
// attributes (already encoded) and calls fn with the payload (nfgenmsg and
// attributes) of every answer; the payload is only valid during the call.
// With NLM_F_DUMP in flags it reads until the end of the dump; with
// NLM_F_ACK it waits for the kernel's acknowledgement.
func (s *Socket) Request(msgType, flags uint16, family uint8, attrs []byte, fn func(payload []byte) error) error {
	s.seq++
	seq := s.seq
	req := make([]byte, unix.NLMSG_HDRLEN+4, unix.NLMSG_HDRLEN+4+len(attrs))
	req = append(req, attrs...)
	binary.NativeEndian.PutUint32(req[0:4], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:6], unix.NFNL_SUBSYS_CTNETLINK<<8|msgType)
	binary.NativeEndian.PutUint16(req[6:8], unix.NLM_F_REQUEST|flags)
	binary.NativeEndian.PutUint32(req[8:12], seq)
	req[unix.NLMSG_HDRLEN] = family // nfgenmsg: family, version 0, res_id 0
	if err := unix.Sendto(s.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("send ctnetlink request: %w", err)
	}
	buf := make([]byte, 1<<16)
	answered := false
	for {
		n, _, err := unix.Recvfrom(s.fd, buf, 0)
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
				if fn != nil {
					if err := fn(m.Data); err != nil {
						return err
					}
				}
			}
		}
		if flags&(FlagDump|FlagAck) == 0 && answered {
			return nil
		}
	}
}
