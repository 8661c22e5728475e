package load

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// StopGrace is how long the requests in flight when a run is stopped (its
// context cancelled: an abort, an interrupt) may take to complete before
// they are cancelled. A target that hangs would otherwise hold the end of
// the run for the whole request timeout.
const StopGrace = time.Second

// ErrStopped is the error of a request cancelled because its run stopped
// before the response arrived. Its result carries the message in Error
// (wrapped by net/http), so that a stopped run still counts every request
// it sent; metric classifies it as cancelled.
var ErrStopped = errors.New("drill: run stopped before the response")

// connSet keeps track of a client's open connections so that stopping a run
// cancels the requests in flight on them, dials included, at once. It costs
// one entry per connection, nothing per request.
type connSet struct {
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu   sync.Mutex
	open map[*trackedConn]struct{}
}

func newConnSet() *connSet {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &connSet{ctx: ctx, cancel: cancel, open: map[*trackedConn]struct{}{}}
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// dialer wraps dial so that its connections are tracked and a dial under
// way fails with ErrStopped when the set is stopped.
func (s *connSet) dialer(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		unhook := context.AfterFunc(s.ctx, func() { cancel(ErrStopped) })
		defer unhook()
		c, err := dial(ctx, network, address)
		if err != nil {
			if s.ctx.Err() != nil {
				return nil, ErrStopped
			}
			return nil, err
		}
		tc := &trackedConn{Conn: c, set: s}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ctx.Err() != nil {
			_ = c.Close()
			return nil, ErrStopped
		}
		s.open[tc] = struct{}{}
		return tc, nil
	}
}

// stop closes every open connection and fails every dial under way and to
// come with ErrStopped.
func (s *connSet) stop() {
	s.cancel(ErrStopped)
	s.mu.Lock()
	open := s.open
	s.open = map[*trackedConn]struct{}{}
	s.mu.Unlock()
	for c := range open {
		c.stopped.Store(true)
		_ = c.Conn.Close()
	}
}

func (s *connSet) forget(c *trackedConn) {
	s.mu.Lock()
	delete(s.open, c)
	s.mu.Unlock()
}

// trackedConn is a connection of a connSet: once the set stopped, its reads
// and writes fail with ErrStopped rather than "use of closed connection".
type trackedConn struct {
	net.Conn
	set     *connSet
	stopped atomic.Bool
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && c.stopped.Load() {
		err = ErrStopped
	}
	return n, err
}

func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && c.stopped.Load() {
		err = ErrStopped
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.set.forget(c)
	return c.Conn.Close()
}
