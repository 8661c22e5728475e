//go:build lab

package agent

import (
	"net"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestConntrackStatesInNetns opens connections inside a scratch network
// namespace, closes some, and counts the states there as the agent does:
// established ones as ESTABLISHED, half-closed ones in a closing state. (The collector's parts run on goroutines of their own, so
// the count is read on the namespace's thread directly.)
func TestConntrackStatesInNetns(t *testing.T) {
	ns := netnstest.New(t, "drill-statestest", true)
	const open, closed = 4, 3
	var (
		s      map[string]int64
		reason string
	)
	addr := netnstest.Hold(t, ns)
	err := netns.Do(netns.Path(ns), func() error {
		var conns []net.Conn
		for range open + closed {
			c, err := net.Dial("tcp4", addr)
			if err != nil {
				return err
			}
			conns = append(conns, c)
		}
		defer func() {
			for _, c := range conns[:open] {
				c.Close()
			}
		}()
		for _, c := range conns[open:] {
			c.Close()
		}
		s, reason = conntrackStates()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if reason != "" || s["ESTABLISHED"] < open {
		t.Fatalf("states %v (%s): want at least %d ESTABLISHED", s, reason, open)
	}
	var closing int64
	for _, k := range []string{"FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE"} {
		closing += s[k]
	}
	if closing < closed {
		t.Fatalf("states %v: want at least %d closing entries", s, closed)
	}
	t.Logf("states %v", s)
}
