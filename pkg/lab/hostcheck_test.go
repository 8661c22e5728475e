package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckKernel names what a host without overlayfs and with cgroup v2
// only lacks, each with how to get it, and nothing on a host that has both.
func TestCheckKernel(t *testing.T) {
	v1 := []cgroupHierarchy{{Path: "/sys/fs/cgroup/systemd", Controllers: []string{"name=systemd"}}}
	for _, c := range []string{"cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer"} {
		v1 = append(v1, cgroupHierarchy{Path: "/sys/fs/cgroup/" + c, Controllers: []string{c}})
	}
	if errs := checkKernel("nodev\tproc\nnodev\toverlay\n", v1); len(errs) != 0 {
		t.Errorf("host with overlayfs and cgroup v1: %v, want no error", errs)
	}

	errs := checkKernel("nodev\tproc\nnodev\ttmpfs\n", []cgroupHierarchy{{Path: "/sys/fs/cgroup", V2: true}})
	if len(errs) != 2 {
		t.Fatalf("host without overlayfs, cgroup v2 only: %d errors %v, want 2", len(errs), errs)
	}
	for i, want := range [][]string{
		{"overlay filesystem", "modprobe overlay", "Linux VM"},
		{"cgroup v1", "cpu, cpuacct, cpuset, memory, pids, devices, freezer", "systemd.unified_cgroup_hierarchy=0", "Linux VM"},
	} {
		for _, w := range want {
			if !strings.Contains(errs[i].Error(), w) {
				t.Errorf("error %d = %q, want it to name %q", i, errs[i], w)
			}
		}
	}

	partial := []cgroupHierarchy{{Path: "/sys/fs/cgroup/cpu,cpuacct", Controllers: []string{"cpu", "cpuacct"}}}
	errs = checkKernel("nodev\toverlay\n", partial)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "for cpuset, memory, pids, devices, freezer ") {
		t.Errorf("host with cpu and cpuacct only: %v, want one error naming the five other controllers", errs)
	}
}

// TestUpOnAHostWithoutTheNodesPrograms: Up on a host where nothing the
// nodes need is found fails with one error naming every missing program
// with how to get it, before it creates anything.
func TestUpOnAHostWithoutTheNodesPrograms(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []string{"drill", "drill-kube"} {
		if err := os.WriteFile(filepath.Join(dir, b), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", t.TempDir())
	root := t.TempDir()
	_, err := Up(context.Background(), Config{Name: "hostcheck", StateRoot: root,
		DrillBinary: filepath.Join(dir, "drill"), KubeBinary: filepath.Join(dir, "drill-kube")})
	if err == nil {
		t.Fatal("Up succeeded with an empty PATH")
	}
	msg := err.Error()
	for _, want := range []string{
		"the lab cannot run on this host",
		"ip, nsenter, iptables, iptables-save, iptables-restore not found in PATH: install iproute2",
		"containerd not found next to " + filepath.Join(dir, "drill") + " or in PATH: run `make containerd`",
		"containerd-shim-runc-v2 not found",
		"ctr not found",
		"runc not found",
		"busybox not found",
		"apt-get install runc containernetworking-plugins busybox-static",
		"unshare, mount, umount not found in PATH: install util-linux and mount",
		"not found in PATH: the node agent in drill's image needs them",
		"drill binary " + filepath.Join(dir, "drill") + " is not an ELF executable (EOF): build it with CGO_ENABLED=0",
		"Rootless and other hosts",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Up error does not name %q:\n%s", want, msg)
		}
	}
	if strings.Count(msg, "containerd not found") != 1 {
		t.Errorf("Up error names containerd %d times, want once:\n%s", strings.Count(msg, "containerd not found"), msg)
	}
	if entries, err := os.ReadDir(root); err != nil || len(entries) != 0 {
		t.Errorf("state root after the refused Up: %v (%v), want empty", entries, err)
	}
	if nss, err := labNetns("hostcheck"); err != nil || len(nss) != 0 {
		t.Errorf("network namespaces of the refused lab: %v (%v), want none", nss, err)
	}
}
