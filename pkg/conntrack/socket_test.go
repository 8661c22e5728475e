//go:build lab

package conntrack

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// dumpIn dumps the table of network namespace ns.
func dumpIn(t *testing.T, ns string) []Entry {
	t.Helper()
	var entries []Entry
	if err := netns.Do(netns.Path(ns), func() error {
		var err error
		entries, err = Dump()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return entries
}

func toPort(entries []Entry, port uint16) []Entry {
	var out []Entry
	for _, e := range entries {
		if e.Orig.Dst.Port() == port {
			out = append(out, e)
		}
	}
	return out
}

// TestDeleteNeedsTheSameID deletes an entry through a copy whose id is not
// the kernel's (as if a new connection had taken the tuple since the dump):
// the entry stays. With its own id it goes.
func TestDeleteNeedsTheSameID(t *testing.T) {
	ns := netnstest.New(t, "drill-deleteid", true)
	addr := netnstest.Hold(t, ns)
	port := netip.MustParseAddrPort(addr).Port()
	c, err := netns.Dial(context.Background(), netns.Path(ns), &net.Dialer{}, "tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := toPort(dumpIn(t, ns), port)
	if len(got) != 1 || !got[0].hasID {
		t.Fatalf("entries to port %d: %+v, want one with an id", port, got)
	}
	stale := got[0]
	stale.ID++
	err = netns.Do(netns.Path(ns), func() error {
		d, err := openDeleter()
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.Delete(stale); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("delete with id %d (the entry's is %d): %v, want ENOENT", stale.ID, got[0].ID, err)
		}
		if n := len(toPort(mustDump(t), port)); n != 1 {
			t.Errorf("after the delete with another id: %d entries, want the 1 left", n)
		}
		return d.Delete(got[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(toPort(dumpIn(t, ns), port)); n != 0 {
		t.Fatalf("after the delete with the entry's id: %d entries, want 0", n)
	}
}

func mustDump(t *testing.T) []Entry {
	t.Helper()
	e, err := Dump()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDumpStaysInItsNamespace dumps two namespaces, one with connections
// and one without: a socket opened inside netns.Do reads only its own.
func TestDumpStaysInItsNamespace(t *testing.T) {
	busy := netnstest.New(t, "drill-dumpbusy", true)
	quiet := netnstest.New(t, "drill-dumpquiet", true)
	addr := netnstest.Hold(t, busy)
	for range 3 {
		c, err := netns.Dial(context.Background(), netns.Path(busy), &net.Dialer{}, "tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	port := netip.MustParseAddrPort(addr).Port()
	if n := len(toPort(dumpIn(t, busy), port)); n != 3 {
		t.Errorf("namespace with 3 connections: %d entries", n)
	}
	if n := len(dumpIn(t, quiet)); n != 0 {
		t.Errorf("namespace without connections: %d entries", n)
	}
}

// TestFlushAllTakesICMP flushes with the filter "all" a table holding an
// ICMP entry (which has no ports, but an id, type and code).
func TestFlushAllTakesICMP(t *testing.T) {
	ns := netnstest.New(t, "drill-flushicmp", true)
	err := netns.Do(netns.Path(ns), func() error {
		c, err := net.Dial("ip4:icmp", "127.0.0.1")
		if err != nil {
			return err
		}
		defer c.Close()
		echo := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1} // echo request, id 0x1234, seq 1
		sum := ^uint16(8<<8 + 0x1234 + 1)
		echo[2], echo[3] = byte(sum>>8), byte(sum)
		_, err = c.Write(echo)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	icmp := func() int {
		n := 0
		for _, e := range dumpIn(t, ns) {
			if e.Proto() == ProtoICMP {
				n++
			}
		}
		return n
	}
	if n := icmp(); n != 1 {
		t.Fatalf("%d ICMP entries after one echo request, want 1", n)
	}
	var got Flushed
	if err := netns.Do(netns.Path(ns), func() error {
		var err error
		got, err = Flush([]Filter{{}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := icmp(); n != 0 || got.Deleted < 1 {
		t.Fatalf("after flushing all (%+v): %d ICMP entries, want 0", got, n)
	}
}

// TestStatsAgreeWithConntrackTool compares Global and Stats with
// `conntrack -C` and `conntrack -S` in the same namespace.
func TestStatsAgreeWithConntrackTool(t *testing.T) {
	if _, err := exec.LookPath("conntrack"); err != nil {
		t.Skip("no conntrack tool")
	}
	ns := netnstest.New(t, "drill-statstool", true)
	addr := netnstest.Hold(t, ns)
	for range 4 {
		c, err := netns.Dial(context.Background(), netns.Path(ns), &net.Dialer{}, "tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	tool := func(arg string) string {
		out, err := exec.Command("ip", "netns", "exec", ns, "conntrack", arg).CombinedOutput()
		if err != nil {
			t.Fatalf("conntrack %s: %v: %s", arg, err, out)
		}
		return string(out)
	}
	var (
		g   GlobalStats
		per []CPUStats
	)
	if err := netns.Do(netns.Path(ns), func() error {
		var err error
		if g, err = Global(); err != nil {
			return err
		}
		per, err = Stats()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(tool("-C")); strconv.FormatInt(g.Count, 10) != want || g.Count != 4 {
		t.Errorf("count %d, conntrack -C %s, want 4", g.Count, want)
	}
	if g.Max <= 0 {
		t.Errorf("max %d", g.Max)
	}
	lines := strings.Split(strings.TrimSpace(tool("-S")), "\n")
	if len(per) != len(lines) {
		t.Fatalf("%d CPUs, conntrack -S lists %d", len(per), len(lines))
	}
	for i, line := range lines {
		// Counters are only read here: the namespace is quiet meanwhile.
		s := per[i]
		want := map[string]uint64{"found": s.Found, "invalid": s.Invalid, "insert": s.Insert,
			"insert_failed": s.InsertFailed, "drop": s.Drop, "early_drop": s.EarlyDrop, "error": s.Error,
			"search_restart": s.SearchRestart, "clash_resolve": s.ClashResolve, "chaintoolong": s.ChainTooLong}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			if k == "cpu" {
				if v != strconv.Itoa(s.CPU) {
					t.Errorf("line %d: cpu %s, Stats %d", i, v, s.CPU)
				}
				continue
			}
			if w, ok := want[k]; ok && strconv.FormatUint(w, 10) != v {
				t.Errorf("cpu %d: %s=%s in conntrack -S, %d in Stats", s.CPU, k, v, w)
			}
		}
	}
}
