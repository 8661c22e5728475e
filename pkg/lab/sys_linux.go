package lab

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// killPid sends SIGKILL to pid.
func killPid(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

// detachMount unmounts target lazily (MNT_DETACH).
func detachMount(target string) error { return syscall.Unmount(target, syscall.MNT_DETACH) }

// privateBindMount makes dir a private mount, bind-mounting it onto itself
// first when bind is set (dir is no mount point yet).
func privateBindMount(dir string, bind bool) error {
	if bind {
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mount %s: %w", dir, err)
		}
	}
	if err := syscall.Mount("", dir, "", syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", dir, err)
	}
	return nil
}

// newSession starts a child in a session of its own.
func newSession() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// signalLabProcess sends sig to pid only if it still is a process of the
// lab: the pidfd pins the process, so the check after opening it cannot be
// fooled by the pid being reused in between.
func signalLabProcess(pid int, name string, sig syscall.Signal) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone
	}
	defer unix.Close(fd)
	if isLabProcess(pid, name) {
		_ = unix.PidfdSendSignal(fd, sig, nil, 0)
	}
}
