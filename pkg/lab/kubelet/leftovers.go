package kubelet

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cleanLeftovers removes what an earlier kubelet run on this node left: it
// kills the container processes recorded in pidfiles under StateDir/pods
// (only when the process still carries this lab's DRILL_LAB and the pod's
// DRILL_POD_UID, so a reused pid is never hit) and removes the recorded pod
// networks. The pods themselves stay in the API and are started again.
func (k *kubelet) cleanLeftovers(ctx context.Context) {
	dirs, _ := filepath.Glob(filepath.Join(k.cfg.StateDir, "pods", "*"))
	for _, dir := range dirs {
		uid := dir[strings.LastIndex(dir, "_")+1:]
		pidfiles, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
		for _, pf := range pidfiles {
			b, err := os.ReadFile(pf)
			pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil && perr == nil && pid > 1 && k.ownsProcess(pid, uid) {
				k.log.Info("killing container left by an earlier kubelet", "pid", pid, "podUID", uid)
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				waitGone(pid, 5*time.Second)
			}
			_ = os.Remove(pf)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "sandbox.json")); err == nil {
			var sb sandbox
			if json.Unmarshal(b, &sb) == nil {
				k.teardownSandbox(ctx, sb)
			}
			_ = os.Remove(filepath.Join(dir, "sandbox.json"))
		}
	}
}

// ownsProcess reports whether pid runs a container of pod uid in this lab.
func (k *kubelet) ownsProcess(pid int, uid string) bool {
	env, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return false
	}
	var lab, pod bool
	for _, kv := range bytes.Split(env, []byte{0}) {
		lab = lab || string(kv) == envLab+"="+k.cfg.Lab
		pod = pod || string(kv) == envPodUID+"="+uid
	}
	return lab && pod
}

// waitGone waits until pid no longer exists (or is a zombie) or d passes.
func waitGone(pid int, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return
		}
		if i := bytes.LastIndexByte(b, ')'); i > 0 && len(b) > i+2 && b[i+2] == 'Z' {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
