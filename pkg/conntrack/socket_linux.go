package conntrack

import (
	"errors"
	"fmt"
	"os"
	"time"

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

// Every socket below is opened by netlink.Dial without a namespace in its
// configuration: mdlayher/socket then calls socket(2) on the calling
// goroutine, so the socket belongs to the calling thread's network
// namespace (the one netns.Do entered), for its whole life.

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
