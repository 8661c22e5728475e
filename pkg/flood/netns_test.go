//go:build lab

package flood

import (
	"context"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestRunFillsConntrackInNetns floods loopback inside a network namespace of
// its own (never the host's) and reads the kernel's conntrack count there.
func TestRunFillsConntrackInNetns(t *testing.T) {
	ns := netnstest.New(t, "drill-floodtest", true)
	type result struct {
		before, after int
		st            Stats
		err           error
	}
	res := make(chan result, 1)
	go func() {
		// This thread ends in the namespace and is never unlocked, so the
		// runtime discards it when the goroutine returns.
		runtime.LockOSThread()
		var r result
		defer func() { res <- r }()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			r.err = err
			return
		}
		defer unix.Close(fd)
		if r.err = unix.Setns(fd, unix.CLONE_NEWNET); r.err != nil {
			return
		}
		if r.before, _, r.err = Conntrack(DefaultConntrackDir); r.err != nil {
			return
		}
		r.st, r.err = Run(context.Background(), Config{Target: netip.MustParseAddr("127.0.0.1"), Proto: "udp", FirstPort: 20000, Ports: 100,
			Rate: 20000, Count: 2000, Duration: time.Minute})
		r.after, _, _ = Conntrack(DefaultConntrackDir)
	}()
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.st.Sent != 2000 {
		t.Fatalf("sent %d, want 2000", r.st.Sent)
	}
	// UDP entries live 30 s unreplied: nearly all are still there.
	if grew := r.after - r.before; grew < 1800 {
		t.Fatalf("conntrack count %d → %d after 2000 datagrams from new ports: want it to grow by about 2000", r.before, r.after)
	}
	t.Logf("conntrack count %d → %d (%v)", r.before, r.after, r.st)
}
