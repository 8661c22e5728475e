package kubelet

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// process is one running container process.
type process struct {
	cmd     *exec.Cmd
	pid     int
	started time.Time
	pidfile string
	done    chan struct{} // closed once the process has been reaped

	// mu orders signals with the reaping: until reaped is set, the pid (a
	// live process or a zombie) cannot belong to anything else.
	mu     sync.Mutex
	reaped bool

	// Set before done is closed.
	exitCode int
	finished time.Time
	signal   string
}

// utsArgv prefixes argv so that it runs in a new UTS namespace whose hostname
// is hostname (written through /proc, so only /bin/sh is needed). Every step
// execs the next, so the pid stays the workload's.
func utsArgv(hostname string, argv []string) []string {
	return append([]string{"unshare", "--uts", "--", "/bin/sh", "-c", `printf %s "$0" > /proc/sys/kernel/hostname && exec "$@"`, hostname}, argv...)
}

// saArgv is utsArgv plus a private mount namespace in which /var/run is the
// pod's own runDir, holding the service-account files at saMountPath
// (bound read-only), where in-cluster clients look for them. Nothing is
// mounted on the host.
func saArgv(hostname, runDir string, argv []string) []string {
	script := `printf %s "$0" > /proc/sys/kernel/hostname &&
mount --bind "$1" /var/run &&
mount --bind -o ro ` + saMountPath + ` ` + saMountPath + ` &&
shift && exec "$@"`
	return append([]string{"unshare", "--uts", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, hostname, runDir}, argv...)
}

// startProcess starts argv in the named network namespace (via nsenter, so
// the pid is the workload's own) and, when hostname is set, in a new UTS
// namespace with that hostname (with runDir, also a mount namespace in which
// it is /var/run, see saArgv); in its own process group, with env, working
// directory dir and stdout+stderr appended to logPath. Its pid is written to
// pidfile.
func startProcess(netns, hostname, runDir string, argv, env []string, dir, logPath, pidfile string) (*process, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	switch {
	case runDir != "":
		argv = saArgv(hostname, runDir, argv)
	case hostname != "":
		argv = utsArgv(hostname, argv)
	}
	full := nsenterArgv(netns, argv)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	logf.Close()
	p := &process{cmd: cmd, pid: cmd.Process.Pid, started: time.Now(), pidfile: pidfile, done: make(chan struct{})}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(p.pid)+"\n"), 0o644); err != nil {
		p.kill()
	}
	go p.wait()
	return p, nil
}

// wait reaps the process, records how it ended and kills what is left of its
// process group (as a container's other processes die with its init). The
// group is killed while the exited process is still a zombie, so its pid,
// which is the group's id, cannot have been reused by another process.
func (p *process) wait() {
	var info unix.Siginfo
	for unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
	}
	p.mu.Lock()
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	err := p.cmd.Wait()
	p.reaped = true
	p.mu.Unlock()
	p.finished = time.Now()
	p.exitCode = 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.exitCode = 128 + int(ws.Signal())
			p.signal = ws.Signal().String()
		} else {
			p.exitCode = ee.ExitCode()
		}
	} else if err != nil {
		p.exitCode = 128
	}
	_ = os.Remove(p.pidfile)
	close(p.done)
}

// exited reports whether the process has been reaped.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// term sends SIGTERM to the container's main process.
func (p *process) term() { p.send(syscall.SIGTERM, false) }

// kill sends SIGKILL to the container's whole process group.
func (p *process) kill() { p.send(syscall.SIGKILL, true) }

// send sends sig to the process (and its group) unless it has been
// reaped, when its pid may already name another process.
func (p *process) send(sig syscall.Signal, group bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return
	}
	if group {
		_ = syscall.Kill(-p.pid, sig)
	}
	_ = syscall.Kill(p.pid, sig)
}

// containerID is the status containerID of the process.
func (p *process) containerID() string { return "drill://" + strconv.Itoa(p.pid) }
