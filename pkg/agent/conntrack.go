package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drillkit/drill/pkg/conntrack"
)

// collectConntrack reads the table's count and limit from procfs (falling
// back to netlink) and its per-CPU statistics through netlink. procSys is
// the /proc/sys directory to read.
func collectConntrack(procSys string) Conntrack {
	var c Conntrack
	dir := filepath.Join(procSys, "net", "netfilter")
	count, errCount := readInt(filepath.Join(dir, "nf_conntrack_count"))
	max, errMax := readInt(filepath.Join(dir, "nf_conntrack_max"))
	if errCount != nil || errMax != nil {
		// No procfs view (e.g. a read-only /proc/sys without the files):
		// netlink has both values too.
		n, m, err := conntrackGlobal()
		if err != nil {
			reason := "kernel has no nf_conntrack (nf_conntrack_count not readable: " + errString(errCount, errMax) + "; netlink: " + err.Error() + ")"
			return Conntrack{Part: unavailable(reason)}
		}
		count, max = n, m
	}
	c.Available, c.Count, c.Max = true, count, max
	c.Timeouts = readTimeouts(dir)
	per, err := conntrackStats()
	if err != nil {
		c.StatsReason = err.Error()
		return c
	}
	sum := ConntrackStats{CPU: -1}
	for _, s := range per {
		sum.add(s)
	}
	c.Stats, c.PerCPU = &sum, per
	return c
}

// TimeoutNames are the conntrack timeouts the agent reports, without the
// nf_conntrack_ prefix.
func TimeoutNames() []string {
	return []string{"tcp_timeout_established", "tcp_timeout_time_wait", "tcp_timeout_close_wait", "udp_timeout"}
}

// readTimeouts reads the timeouts of TimeoutNames in dir (those it can).
func readTimeouts(dir string) map[string]int64 {
	out := map[string]int64{}
	for _, n := range TimeoutNames() {
		if v, err := readInt(filepath.Join(dir, "nf_conntrack_"+n)); err == nil {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// conntrackStates dumps the table through netlink and counts its entries
// by TCP state; the reason is set when it cannot.
func conntrackStates() (map[string]int64, string) {
	entries, err := conntrack.Dump()
	if err != nil {
		return nil, err.Error()
	}
	out := map[string]int64{}
	for _, e := range entries {
		out[StateKey(e)]++
	}
	return out, ""
}

// StateKey is the name an entry is counted under in Conntrack.States.
func StateKey(e conntrack.Entry) string {
	switch {
	case e.Proto() == conntrack.ProtoTCP && conntrack.StateName(e.TCPState) != "":
		return conntrack.StateName(e.TCPState)
	case e.Proto() == conntrack.ProtoUDP:
		return "UDP"
	}
	return "OTHER"
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return v, nil
}

func errString(errs ...error) string {
	for _, e := range errs {
		if e != nil {
			return e.Error()
		}
	}
	return ""
}
