//go:build lab

package kubelet

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCleanLeftovers checks that a restarted kubelet kills the recorded
// container processes of its lab (and only those) and removes their pod
// networks.
func TestCleanLeftovers(t *testing.T) {
	k := testNode(t, "kbleft")
	ctx := context.Background()
	uid := "feedbeef-0001"
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "feedbeef-0001"}}
	ip, _ := k.ipam.Allocate(uid)
	sb, err := k.setupSandbox(ctx, pod, ip)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.teardownSandbox(context.Background(), sb) })
	dir := filepath.Join(k.cfg.StateDir, "pods", "ns_p_"+uid)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sb)
	if err := os.WriteFile(filepath.Join(dir, "sandbox.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	start := func(name string, env ...string) *exec.Cmd {
		cmd := exec.Command("sleep", "60")
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		if err := os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	ours := start("ours", envLab+"=kbleft", envPodUID+"="+uid)
	foreign := start("foreign", envLab+"=otherlab", envPodUID+"="+uid)
	exited := make(chan error, 1)
	go func() { exited <- ours.Wait() }()

	k.cleanLeftovers(ctx)

	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Error("the lab's leftover container process was not killed")
	}
	if err := foreign.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("a process of another lab was touched: %v", err)
	}
	if _, err := os.Stat(netnsPath(sb.Netns)); err == nil {
		t.Error("leftover pod network namespace was not removed")
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox.json")); err == nil {
		t.Error("sandbox record was not removed")
	}
}
