package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Down removes the lab: its processes (found by DRILL_LAB in their
// environment, so also after a crash), its network namespaces (found by
// name prefix) and its state directory. It is idempotent: removing a lab
// that does not exist succeeds.
func (l *Lab) Down(ctx context.Context) error {
	return down(ctx, filepath.Dir(l.plan.StateDir), l.plan.Name, l.progress)
}

// DownIn is Down for a lab under a non-default state root.
func DownIn(ctx context.Context, stateRoot, name string, progress io.Writer) error {
	return down(ctx, stateRoot, name, progress)
}

func down(ctx context.Context, root, name string, progress io.Writer) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if progress == nil {
		progress = io.Discard
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(progress, "lab %s: %s\n", name, fmt.Sprintf(format, args...))
	}
	var errs []error
	stateDir := filepath.Join(root, name)
	saved, _ := readPlan(root, name)
	if pids := labPIDs(name); len(pids) > 0 {
		t := time.Now()
		kctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := killAll(kctx, name, 3*time.Second)
		cancel()
		if err != nil {
			errs = append(errs, err)
		} else {
			logf("stopped %d processes (%s)", len(pids), since(t))
		}
	}
	// The nodes' shims and containers carry no lab marker: they
	// are found by the nodes' cgroups.
	if n, err := removeLabCgroups(ctx, name); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		logf("removed the node cgroups (%d, counting every hierarchy) and their processes", n)
	}
	nss, err := labNetns(name)
	if err != nil {
		errs = append(errs, err)
	}
	if len(nss) > 0 {
		if err := deleteNetns(ctx, nss); err != nil {
			errs = append(errs, err)
		}
		if left, _ := labNetns(name); len(left) > 0 {
			errs = append(errs, fmt.Errorf("network namespaces still present: %s", strings.Join(left, ", ")))
		} else {
			logf("deleted %d network namespaces", len(nss))
		}
	}
	if err := unmountUnder(name, stateDir); err != nil {
		errs = append(errs, err)
	}
	if err := removeRunDirs(name); err != nil {
		errs = append(errs, err)
	}
	if saved.HostConntrackMaxSaved > 0 {
		if err := setHostConntrackMax(saved.HostConntrackMaxSaved); err != nil {
			errs = append(errs, err)
		} else {
			logf("host nf_conntrack_max restored to %d", saved.HostConntrackMaxSaved)
		}
	}
	if _, err := os.Stat(stateDir); err == nil {
		if len(errs) == 0 {
			if err := os.RemoveAll(stateDir); err != nil {
				errs = append(errs, fmt.Errorf("remove state dir: %w", err))
			} else {
				logf("removed %s", stateDir)
			}
		} else {
			errs = append(errs, fmt.Errorf("kept %s (logs) because of the errors above", stateDir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lab %s down: %w; run `drill lab down --name %s` again", name, err, name)
	}
	return nil
}

// unmountUnder unmounts leftover mounts of the lab: namespace bind mounts
// under /run/netns and anything under the state directory.
func unmountUnder(name, stateDir string) error {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return nil
	}
	defer f.Close()
	var targets []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		t := strings.ReplaceAll(fields[1], `\040`, " ")
		if strings.HasPrefix(t, filepath.Join(netnsDir, netnsPrefix(name))) || strings.HasPrefix(t, stateDir+"/") || t == stateDir {
			targets = append(targets, t)
		}
	}
	var errs []error
	for i := len(targets) - 1; i >= 0; i-- {
		if err := detachMount(targets[i]); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", targets[i], err))
		}
		if strings.HasPrefix(targets[i], netnsDir+"/") {
			_ = os.Remove(targets[i])
		}
	}
	return errors.Join(errs...)
}

// Leftovers lists whatever of a lab still exists: processes, network
// namespaces, mounts, the state directory and a relay listener. Empty
// means the lab is completely gone.
func Leftovers(root, name string) []string {
	var out []string
	for _, pid := range labPIDs(name) {
		out = append(out, fmt.Sprintf("process %d with %s=%s", pid, EnvLab, name))
	}
	nss, _ := labNetns(name)
	for _, ns := range nss {
		out = append(out, "network namespace "+ns)
	}
	if b, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && (strings.HasPrefix(f[1], filepath.Join(netnsDir, netnsPrefix(name))) || strings.HasPrefix(f[1], filepath.Join(root, name))) {
				out = append(out, "mount "+f[1])
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, name)); err == nil {
		out = append(out, "state dir "+filepath.Join(root, name))
	}
	if hs, err := cgroupHierarchies(); err == nil {
		for _, cg := range labCgroups(hs, name) {
			out = append(out, fmt.Sprintf("cgroup %s (%d processes)", cg, len(cgroupPIDs(cg))))
		}
	}
	for _, d := range labRunDirs(name) {
		out = append(out, "node dir "+d)
	}
	return out
}

// removeRunDirs removes the lab's node directories outside the state
// directory (see nodeRunRoots).
func removeRunDirs(name string) error {
	var errs []error
	for _, d := range labRunDirs(name) {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", d, err))
		}
	}
	// The roots are shared by labs; they go when the last one does.
	for _, root := range nodeRunRoots() {
		_ = os.Remove(root)
	}
	_ = os.Remove(filepath.Dir(shimSocketRoot))
	return errors.Join(errs...)
}
