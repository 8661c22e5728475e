package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procSpec describes one long-running lab process.
type procSpec struct {
	// Name names the pidfile and the log file (<statedir>/logs/<Name>.log).
	Name string
	// Netns is the network namespace to run in; empty runs in the host's
	// (only the loopback relay does).
	Netns string
	// Mountns, when set, is a file pinning the mount namespace to run in.
	Mountns string
	// Cgroup, when set, is the cgroup (relative to every hierarchy's root)
	// the process is moved into right after it starts.
	Cgroup string
	// Env is added to the process's environment.
	Env  []string
	Path string
	Args []string
}

// startProcess starts a detached process: own session, DRILL_LAB in its
// environment, output appended to its log file, pid in its pidfile. It is
// reaped by a goroutine while this process lives and outlives it otherwise;
// the returned child reports its exit.
func startProcess(p Plan, s procSpec) (*child, error) {
	logPath := p.path("logs", s.Name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log for %s: %w", s.Name, err)
	}
	defer logf.Close()
	path, args := s.Path, s.Args
	if s.Netns != "" {
		ns := []string{"--net=" + filepath.Join(netnsDir, s.Netns)}
		if s.Mountns != "" {
			ns = append(ns, "--mount="+s.Mountns)
		}
		args = append(append(ns, "--", s.Path), s.Args...)
		path = "nsenter"
	}
	cmd := exec.Command(path, args...)
	env := withoutEnv(os.Environ(), EnvLab)
	for _, e := range s.Env {
		k, _, _ := strings.Cut(e, "=")
		env = append(withoutEnv(env, k), e)
	}
	cmd.Env = append(env, EnvLab+"="+p.Name)
	cmd.Dir = p.StateDir
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = newSession()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Name, err)
	}
	c := &child{done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	if s.Cgroup != "" {
		// Moved before it has started anything: what it starts (containerd's
		// shims) is born in that cgroup.
		hs, err := cgroupHierarchies()
		if err == nil {
			err = moveToCgroup(hs, s.Cgroup, cmd.Process.Pid)
		}
		if err != nil {
			_ = cmd.Process.Kill()
			return c, fmt.Errorf("start %s: %w", s.Name, err)
		}
	}
	if err := os.WriteFile(p.path("pids", s.Name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
		return c, fmt.Errorf("write pidfile for %s: %w", s.Name, err)
	}
	return c, nil
}

// child is a process this process started and reaps.
type child struct {
	done chan struct{}
	err  error
}

// exited reports whether the child has exited, and how.
func (c *child) exited() (string, bool) {
	select {
	case <-c.done:
		if c.err == nil {
			return "status 0", true
		}
		return c.err.Error(), true
	default:
		return "", false
	}
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, key+"=") {
			out = append(out, e)
		}
	}
	return out
}

// labPIDs finds every live process carrying DRILL_LAB=<name>, whatever
// started it (components, kubelets, pods), except the calling process.
func labPIDs(name string) []int {
	entries, _ := os.ReadDir("/proc")
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if isLabProcess(pid, name) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// isLabProcess reports whether pid is alive and carries DRILL_LAB=<name>.
func isLabProcess(pid int, name string) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := []byte(EnvLab + "=" + name + "\x00")
	return (bytes.HasPrefix(env, want) || bytes.Contains(env, append([]byte{0}, want...))) && alive(pid)
}

// alive reports whether pid runs (exists and is not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	return stat[i+2] != 'Z' && stat[i+2] != 'X'
}

// pidOf reads a pidfile and returns the pid if that process is alive and
// belongs to the lab.
func pidOf(p Plan, name string) (int, bool) {
	b, err := os.ReadFile(p.path("pids", name+".pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(pid) {
		return pid, false
	}
	// Guard against pid reuse: a live process whose environment lacks
	// DRILL_LAB=<lab> is not ours. An unreadable or empty environment (a
	// process in the middle of execve, like nsenter starting its command)
	// proves nothing, so the pid counts as ours.
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err == nil && len(env) > 0 && !bytes.Contains(env, []byte(EnvLab+"="+p.Name+"\x00")) {
		return pid, false
	}
	return pid, true
}

// killAll sends SIGTERM to the lab's processes, then SIGKILL to those still
// running after grace, until none is left or ctx ends.
func killAll(ctx context.Context, name string, grace time.Duration) error {
	deadline := time.Now().Add(grace)
	signalled := map[int]bool{}
	empty := 0
	for {
		pids := labPIDs(name)
		if len(pids) == 0 {
			// Twice in a row: a process caught in execve has an unreadable
			// environment for a moment.
			if empty++; empty >= 2 {
				return nil
			}
		} else {
			empty = 0
		}
		sig := syscall.SIGTERM
		if time.Now().After(deadline) {
			sig = syscall.SIGKILL
		}
		for _, pid := range pids {
			if sig == syscall.SIGTERM && signalled[pid] {
				continue
			}
			signalled[pid] = true
			signalLabProcess(pid, name, sig)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stop lab %s processes %v: %w", name, pids, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// rssBytes reads a process's resident set size.
func rssBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// logTail returns the last lines of a log file, for error messages.
func logTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
