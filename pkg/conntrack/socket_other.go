//go:build !linux

package conntrack

import (
	"errors"
	"fmt"
)

// Socket is a ctnetlink socket, which only Linux has.
type Socket struct{}

var errNoCtnetlink = fmt.Errorf("ctnetlink: %w: the conntrack table is Linux's", errors.ErrUnsupported)

// Open fails: ctnetlink is Linux's.
func Open() (*Socket, error) { return nil, errNoCtnetlink }

// Close does nothing.
func (s *Socket) Close() error { return nil }

// Request fails: ctnetlink is Linux's.
func (s *Socket) Request(msgType, flags uint16, family uint8, attrs []byte, fn func(payload []byte) error) error {
	return errNoCtnetlink
}
