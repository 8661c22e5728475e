package lab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Mount namespaces of the nodes. Each node's containerd and
// kubelet share a private mount namespace, kept alive by a bind mount of
// its nsfs file under <state>/mntns (itself a private bind mount, as
// unshare(1) requires), so the overlay, shm, netns and volume mounts they
// make never reach the host. In it, files holding the values the kubelet
// wants are bind-mounted over the host-wide sysctls it checks, so the
// kubelet runs with protectKernelDefaults and the host keeps its values.

// kubeletSysctls are the kernel settings the kubelet checks at start
// (pkg/kubelet/cm setupKernelTunables) and the values it wants.
var kubeletSysctls = []struct{ key, want string }{
	{"vm/overcommit_memory", "1"},
	{"vm/panic_on_oom", "0"},
	{"kernel/panic", "10"},
	{"kernel/panic_on_oops", "1"},
	{"kernel/keys/root_maxkeys", "1000000"},
	{"kernel/keys/root_maxbytes", "25000000"},
}

// mountnsDir holds the nodes' mount namespace files.
func (p Plan) mountnsDir() string { return p.path("mntns") }

// nodeMountns is the file that pins a node's mount namespace.
func (p Plan) nodeMountns(n NodePlan) string { return filepath.Join(p.mountnsDir(), n.Name) }

// prepareMountnsDir makes the directory of the mount namespace files a
// private bind mount of itself: a namespace file cannot be pinned on a
// shared mount. unmountUnder removes it at teardown.
func prepareMountnsDir(p Plan) error {
	dir := p.mountnsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return privateBindMount(dir, !isMountPoint(dir))
}

// createNodeMountns creates the node's private mount namespace: the
// kubelet's sysctls are shadowed by files holding the values it wants,
// /var/log by the node's own directory (the kubelet links container logs
// into /var/log/containers) and /var/lib by another. The namespace files copied into it (other
// nodes' mount namespaces, every named network namespace) are detached in
// it, so a node keeps no other namespace alive.
func createNodeMountns(ctx context.Context, p Plan, n NodePlan) error {
	dir := p.nodeDir(n)
	for _, d := range []string{"sysctl", "log", "varlib"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	script := []string{"set -e"}
	for _, s := range kubeletSysctls {
		host := "/proc/sys/" + s.key
		b, err := os.ReadFile(host)
		if err != nil {
			return fmt.Errorf("read %s: %w", host, err)
		}
		if strings.TrimSpace(string(b)) == s.want {
			continue
		}
		f := filepath.Join(dir, "sysctl", strings.ReplaceAll(s.key, "/", "."))
		if err := os.WriteFile(f, []byte(s.want+"\n"), 0o444); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		script = append(script, fmt.Sprintf("mount --bind %s %s", shellQuote(f), host))
	}
	script = append(script,
		fmt.Sprintf("mount --bind %s /var/log", shellQuote(filepath.Join(dir, "log"))),
		// The kubelet's device-plugin and pod-resources sockets have fixed
		// paths under /var/lib/kubelet, whatever its root directory: each
		// node gets a /var/lib of its own, so that nodes starting at once
		// do not take each other's sockets and nothing is left on the host.
		fmt.Sprintf("mount --bind %s /var/lib", shellQuote(filepath.Join(dir, "varlib"))),
		`grep ' - nsfs ' /proc/self/mountinfo | cut -d' ' -f5 | while read -r m; do umount -l "$m" || true; done`,
	)
	nsFile := p.nodeMountns(n)
	if err := os.WriteFile(nsFile, nil, 0o600); err != nil {
		return fmt.Errorf("node %s mount namespace file: %w", n.Name, err)
	}
	cmd := exec.CommandContext(ctx, "unshare", "--mount="+nsFile, "--propagation", "private", "--", "sh", "-c", strings.Join(script, "\n"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("node %s mount namespace: %w: %s", n.Name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// isMountPoint reports whether dir is a mount point in this mount namespace.
func isMountPoint(dir string) bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && unescapeMount(fields[4]) == dir {
			return true
		}
	}
	return false
}

// unescapeMount decodes the octal escapes (\040 for a space) of a mount path.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
