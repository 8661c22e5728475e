package lab

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// hostConntrackMaxPath is the global conntrack table limit. It is
// read-only inside a network namespace, so the lab's nodes all share the
// host's value.
const hostConntrackMaxPath = "/proc/sys/net/netfilter/nf_conntrack_max"

// HostConntrackMax reads the kernel's global nf_conntrack_max (shared by
// every network namespace).
func HostConntrackMax() (int, error) { return hostConntrackMax() }

func hostConntrackMax() (int, error) {
	b, err := os.ReadFile(hostConntrackMaxPath)
	if err != nil {
		return 0, fmt.Errorf("read nf_conntrack_max: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse nf_conntrack_max %q: %w", b, err)
	}
	return v, nil
}

// setHostConntrackMax writes the host's global value. Only called when the
// user opted in (Config.HostConntrackMax), and undone by Down.
func setHostConntrackMax(v int) error {
	if err := os.WriteFile(hostConntrackMaxPath, []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
		return fmt.Errorf("set host nf_conntrack_max=%d: %w", v, err)
	}
	return nil
}
