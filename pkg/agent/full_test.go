//go:build lab

package agent_test

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drillkit/drill/pkg/agent"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/sample"
)

// TestConntrackFullInLab fills a lab node's conntrack table with UDP flows
// until the kernel has to evict or drop, and checks that the agent's
// statistics and the derived conntrack_drops see it.
func TestConntrackFullInLab(t *testing.T) {
	t.Parallel()
	labtest.Require(t)
	max, err := lab.HostConntrackMax()
	if err != nil {
		t.Fatal(err)
	}
	if max > 600000 {
		t.Skipf("nf_conntrack_max is %d: filling the table would take too long here", max)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "agfull", Nodes: 1})
	node := l.Plan().Nodes[0]

	d := sample.NewDatapath()
	take := func() agent.State {
		st := collectIn(t, ctx, node.Netns)
		d.Add(sample.NodeSample{Node: node.Name, Time: time.Now(), State: &st})
		return st
	}
	before := take()
	// Unreplied UDP entries live 30 s: send max + 10% flows well within that.
	flows := max + max/10
	start := time.Now()
	onNetnsThread(t, node.Netns, func() error {
		to := &unix.SockaddrInet4{Addr: [4]byte(net.ParseIP(l.Plan().VPCAddr).To4())}
		// Each flow is its own (source port, destination port) pair: the
		// kernel's ephemeral range alone has too few source ports.
		const sports = 20000
		for i := 0; i < flows; i++ {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 30000 + i%sports}); err != nil {
				unix.Close(fd)
				return err
			}
			to.Port = 20000 + i/sports
			// A full table makes the kernel drop the packet: an error here
			// is the point, not a failure.
			_ = unix.Sendto(fd, []byte("x"), unix.MSG_DONTWAIT, to)
			unix.Close(fd)
		}
		return nil
	})
	sent := time.Since(start)
	after := take()
	c := after.Conntrack
	if c.Stats == nil || before.Conntrack.Stats == nil {
		t.Fatalf("no statistics: %s", c.StatsReason)
	}
	t.Logf("%d flows in %v: count %d of %d, drop %d→%d, early_drop %d→%d, insert_failed %d→%d", flows, sent.Round(time.Millisecond),
		c.Count, c.Max, before.Conntrack.Stats.Drop, c.Stats.Drop, before.Conntrack.Stats.EarlyDrop, c.Stats.EarlyDrop,
		before.Conntrack.Stats.InsertFailed, c.Stats.InsertFailed)
	if sent > 25*time.Second {
		t.Skipf("sending took %v: the first entries may have expired, the table need not have been full", sent)
	}
	if c.Fill() < 0.95 {
		t.Errorf("fill %.3f after %d flows into a table of %d", c.Fill(), flows, c.Max)
	}
	lost := c.Stats.Dropped() - before.Conntrack.Stats.Dropped()
	if lost == 0 {
		t.Fatalf("no drop, early_drop or insert_failed after %d flows into a table of %d", flows, c.Max)
	}
	if got := d.ConntrackDrops(); got != lost {
		t.Errorf("conntrack_drops %d, statistics say %d", got, lost)
	}
	if f := d.ConntrackMaxFill(); f < 0.95 {
		t.Errorf("conntrack_max_fill %v", f)
	}
}
