package flood

import (
	"errors"
	"syscall"
)

// send opens one connection (a SYN, or a UDP datagram) to the next port and
// abandons it, leaving the kernel a conntrack entry.
func (s *sender) send() error {
	port := s.first + s.next
	s.next = (s.next + 1) % s.ports
	family := syscall.AF_INET
	var sa syscall.Sockaddr
	if a := s.target.Unmap(); a.Is4() {
		sa = &syscall.SockaddrInet4{Port: port, Addr: a.As4()}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: port, Addr: a.As16()}
	}
	typ := syscall.SOCK_DGRAM
	if s.proto == "tcp" {
		typ = syscall.SOCK_STREAM
	}
	fd, err := syscall.Socket(family, typ|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if s.proto == "tcp" {
		// A non-blocking connect sends the SYN and returns EINPROGRESS;
		// closing the socket abandons the attempt.
		if err := syscall.Connect(fd, sa); err != nil && !errors.Is(err, syscall.EINPROGRESS) {
			return err
		}
		return nil
	}
	return syscall.Sendto(fd, []byte{0}, 0, sa)
}
