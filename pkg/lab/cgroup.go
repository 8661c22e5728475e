package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cgroups of the lab's nodes. Each node has a cgroup named
// drill-<lab>-<node> at the top of every cgroup hierarchy: the kubelet's
// cgroupRoot (its pods go below it) with a "runtime" child holding the
// node's containerd, kubelet and, by inheritance, every containerd shim.
// Killing the tasks of those cgroups stops everything the node started,
// also after a crash, since containers carry no lab marker.

// cgroupRuntimeChild is the child cgroup of a node's containerd and kubelet.
const cgroupRuntimeChild = "runtime"

// nodeCgroup is the node's cgroup path relative to every hierarchy root.
func nodeCgroup(lab string, n NodePlan) string { return netnsPrefix(lab) + n.Name }

// cgroupHierarchy is one mounted cgroup hierarchy.
type cgroupHierarchy struct {
	Path string
	// V2 is set for a cgroup2 (unified) mount.
	V2 bool
	// Controllers are a v1 hierarchy's controllers (cpu, memory, ...).
	Controllers []string
}

// cpuset reports whether new cgroups of h need cpuset.cpus and cpuset.mems
// before they take tasks.
func (h cgroupHierarchy) cpuset() bool {
	for _, c := range h.Controllers {
		if c == "cpuset" {
			return true
		}
	}
	return false
}

// cgroupHierarchies lists the cgroup mounts of this mount namespace.
func cgroupHierarchies() ([]cgroupHierarchy, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("list cgroup hierarchies: %w", err)
	}
	defer f.Close()
	var out []cgroupHierarchy
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// mountinfo: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) < 5 || len(rf) < 3 || lf[3] != "/" {
			continue
		}
		h := cgroupHierarchy{Path: lf[4]}
		switch rf[0] {
		case "cgroup":
			for _, o := range strings.Split(rf[2], ",") {
				switch o {
				case "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec":
				default:
					h.Controllers = append(h.Controllers, o)
				}
			}
		case "cgroup2":
			h.V2 = true
		default:
			continue
		}
		if !seen[h.Path] {
			seen[h.Path] = true
			out = append(out, h)
		}
	}
	return out, sc.Err()
}

// cgroupV1Ready reports what the nodes miss in the host's
// cgroups: it runs the kubelet on cgroup v1 hierarchies (failCgroupV1:
// false) and needs these controllers.
func cgroupV1Ready(hs []cgroupHierarchy) error {
	want := []string{"cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer"}
	have := map[string]bool{}
	for _, h := range hs {
		if h.V2 {
			continue
		}
		for _, c := range h.Controllers {
			have[c] = true
		}
	}
	var missing []string
	for _, c := range want {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the lab's nodes need cgroup v1 hierarchies for %s under /sys/fs/cgroup (found none for them), and cgroup v2 is not supported yet: boot the host with cgroup v1 (kernel parameter systemd.unified_cgroup_hierarchy=0), or run the lab in a Linux VM booted so", strings.Join(missing, ", "))
	}
	return nil
}

// createNodeCgroups creates the node's cgroup and its runtime child in
// every hierarchy.
func createNodeCgroups(hs []cgroupHierarchy, rel string) error {
	for _, h := range hs {
		for _, dir := range []string{filepath.Join(h.Path, rel), filepath.Join(h.Path, rel, cgroupRuntimeChild)} {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("create cgroup %s: %w", dir, err)
			}
			if h.cpuset() {
				for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
					b, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f))
					if err != nil {
						return fmt.Errorf("read %s of %s: %w", f, filepath.Dir(dir), err)
					}
					if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
						return fmt.Errorf("set %s of cgroup %s: %w", f, dir, err)
					}
				}
			}
		}
	}
	return nil
}

// moveToCgroup moves a process into the cgroup rel of every hierarchy.
func moveToCgroup(hs []cgroupHierarchy, rel string, pid int) error {
	for _, h := range hs {
		f := filepath.Join(h.Path, rel, "cgroup.procs")
		if err := os.WriteFile(f, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("move process %d into %s: %w", pid, f, err)
		}
	}
	return nil
}

// labCgroups lists the top-level cgroups of a lab's nodes, in every
// hierarchy.
func labCgroups(hs []cgroupHierarchy, lab string) []string {
	var out []string
	for _, h := range hs {
		m, _ := filepath.Glob(filepath.Join(h.Path, netnsPrefix(lab)+"*"))
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}

// cgroupTree lists dir and every cgroup below it, deepest first.
func cgroupTree(dir string) []string {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/") })
	return dirs
}

// cgroupPIDs lists the processes in dir and below.
func cgroupPIDs(dir string) []int {
	var pids []int
	for _, d := range cgroupTree(dir) {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// removeLabCgroups kills every process in the lab's node cgroups (shims,
// containers and whatever else is left) and removes the cgroups.
func removeLabCgroups(ctx context.Context, lab string) (int, error) {
	hs, err := cgroupHierarchies()
	if err != nil {
		return 0, err
	}
	tops := labCgroups(hs, lab)
	if len(tops) == 0 {
		return 0, nil
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var pids []int
		for _, t := range tops {
			pids = append(pids, cgroupPIDs(t)...)
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return len(tops), fmt.Errorf("processes %v still in the cgroups of lab %s", pids, lab)
		}
		for _, pid := range pids {
			// Only processes inside the lab's own cgroups are listed.
			killPid(pid)
		}
		select {
		case <-ctx.Done():
			return len(tops), ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	var errs []error
	for _, t := range tops {
		for _, d := range cgroupTree(t) {
			if err := rmdirRetry(ctx, d); err != nil {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
			}
		}
	}
	return len(tops), errors.Join(errs...)
}

// rmdirRetry removes an empty cgroup, retrying while the kernel still
// counts tasks that were just killed.
func rmdirRetry(ctx context.Context, dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return err
}
