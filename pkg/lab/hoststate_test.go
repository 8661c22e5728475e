package lab

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hostSysctls are the host-wide settings a lab could be tempted to change:
// forwarding, conntrack, the ones a kubelet writes, and socket limits.
var hostSysctls = []string{
	"net/ipv4/ip_forward",
	"net/ipv4/conf/all/forwarding",
	"net/ipv4/conf/all/rp_filter",
	"net/ipv4/conf/all/route_localnet",
	"net/ipv4/ip_local_port_range",
	"net/core/somaxconn",
	"net/netfilter/nf_conntrack_max",
	"net/netfilter/nf_conntrack_tcp_timeout_established",
	"net/netfilter/nf_conntrack_tcp_timeout_time_wait",
	"net/netfilter/nf_conntrack_tcp_timeout_close_wait",
	"kernel/panic",
	"kernel/panic_on_oops",
	"vm/overcommit_memory",
}

// counters are the packet and byte counts iptables-save prints, which the
// host's own traffic changes.
var counters = regexp.MustCompile(`\[\d+:\d+\]`)

// hostState is what a lab must leave as it found it in the host: the host
// network namespace's links, addresses, routes and firewall rules, the
// host-wide sysctls, the mount table and the cgroup tree. Mounts and
// cgroups of labs (this test's or another package's, running at the same
// time) are left out by their names.
func hostState(t *testing.T) map[string]string {
	t.Helper()
	state := map[string]string{}
	run := func(key, name string, args ...string) {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v: %s", name, args, err, out)
		}
		state[key] = string(out)
	}
	run("links", "ip", "-o", "link", "show")
	run("addresses", "ip", "-o", "addr", "show")
	run("routes", "ip", "route", "show", "table", "all")
	run("nftables", "nft", "list", "ruleset")
	run("iptables", "iptables-save")
	var rules []string
	for _, line := range strings.Split(state["iptables"], "\n") {
		if !strings.HasPrefix(line, "#") {
			rules = append(rules, counters.ReplaceAllString(line, ""))
		}
	}
	state["iptables"] = strings.Join(rules, "\n")
	for _, s := range hostSysctls {
		b, err := os.ReadFile(filepath.Join("/proc/sys", s))
		if err != nil {
			state["sysctl "+s] = "absent"
			continue
		}
		state["sysctl "+s] = strings.TrimSpace(string(b))
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || labOwned(f[1]) {
			continue
		}
		kept = append(kept, f[1])
	}
	state["mounts"] = strings.Join(kept, "\n")
	var cgroups []string
	_ = filepath.WalkDir("/sys/fs/cgroup", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.Count(strings.TrimPrefix(path, "/sys/fs/cgroup"), "/") > 3 || labOwned(path) {
			return filepath.SkipDir
		}
		cgroups = append(cgroups, path)
		return nil
	})
	slices.Sort(cgroups)
	state["cgroups"] = strings.Join(cgroups, "\n")
	return state
}

// labOwned reports whether a mount point or cgroup belongs to a lab or a
// test's temporary directory.
func labOwned(path string) bool {
	return strings.HasPrefix(path, filepath.Join(netnsDir, "drill-")) ||
		strings.HasPrefix(path, DefaultStateRoot) ||
		strings.HasPrefix(path, os.TempDir()+"/") ||
		strings.Contains(path, "drill")
}

// diffHostState reports every part of the host that differs.
func diffHostState(t *testing.T, before, after map[string]string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if before[k] != after[k] {
			t.Errorf("the host's %s changed:\nbefore:\n%s\nafter:\n%s", k, before[k], after[k])
		}
	}
}
