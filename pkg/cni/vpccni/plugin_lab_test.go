//go:build lab

package vpccni

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	current "github.com/containernetworking/cni/pkg/types/100"

	drillnetns "github.com/drillkit/drill/pkg/netns"
)

// ipIn runs ip(8) in the named network namespace.
func ipIn(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v: %s", ns, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func addNetns(t *testing.T, name string) string {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return drillnetns.Path(name)
}

// referencePlugins is the directory of the reference CNI plugins.
func referencePlugins(t *testing.T) string {
	t.Helper()
	for _, d := range []string{"/usr/lib/cni", "/opt/cni/bin"} {
		if _, err := os.Stat(filepath.Join(d, "host-local")); err == nil {
			return d
		}
	}
	t.Skip("host-local CNI plugin not installed (apt-get install containernetworking-plugins)")
	return ""
}

// TestPluginInNamespaces runs ADD, CHECK and DEL in a node and a pod
// network namespace with host-local IPAM: the pod gets the VPC CNI layout,
// the node reaches it over TCP, CHECK notices a missing neighbour entry,
// DEL removes the veth and releases the address (also when the pod's
// namespace is gone), and a second DEL succeeds.
func TestPluginInNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cniPath := referencePlugins(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("drill-cnit-%d-", os.Getpid())
	nodeNS, podNS := prefix+"node", prefix+"pod"
	nodePath, podPath := addNetns(t, nodeNS), addNetns(t, podNS)
	// The node's own address (pods reply to it through 169.254.1.1).
	ipIn(t, nodeNS, "addr", "add", "198.18.254.1/32", "dev", "lo")
	ipIn(t, nodeNS, "link", "set", "lo", "up")

	ipamDir := t.TempDir()
	conf := func(prev *current.Result) []byte {
		c := map[string]any{"cniVersion": "1.0.0", "name": "cnitest", "type": PluginName,
			"ipam": map[string]any{"type": "host-local", "dataDir": ipamDir,
				"ranges": [][]map[string]string{{{"subnet": "198.19.250.0/24", "rangeStart": "198.19.250.2",
					"rangeEnd": "198.19.250.254", "gateway": "198.19.250.1"}}}}}
		if prev != nil {
			c["prevResult"] = prev
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := plugin{ctx: ctx, hostNetns: nodePath}
	attach := func(containerID, netnsPath string, stdin []byte) *skel.CmdArgs {
		// The IPAM plugin reads the CNI_* variables from the environment.
		t.Setenv("CNI_CONTAINERID", containerID)
		t.Setenv("CNI_NETNS", netnsPath)
		t.Setenv("CNI_IFNAME", "eth0")
		t.Setenv("CNI_PATH", cniPath)
		return &skel.CmdArgs{ContainerID: containerID, Netns: netnsPath, IfName: "eth0", Path: cniPath, StdinData: stdin}
	}

	r, err := p.add(attach("ctr1", podPath, conf(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.IPs) != 1 || len(r.Interfaces) != 2 {
		t.Fatalf("result %+v", r)
	}
	podIP := r.IPs[0].Address.IP.String()
	veth, hostMAC := r.Interfaces[0].Name, r.Interfaces[0].Mac
	if veth != HostVethName(DefaultVethPrefix, "ctr1", "eth0") || r.IPs[0].Address.String() != podIP+"/32" {
		t.Errorf("result names veth %s and address %s", veth, r.IPs[0].Address.String())
	}

	t.Run("pod and node laid out as under the VPC CNI", func(t *testing.T) {
		routes := ipIn(t, podNS, "route", "show")
		for _, want := range []string{"default via 169.254.1.1 dev eth0", "169.254.1.1 dev eth0 scope link"} {
			if !strings.Contains(routes, want) {
				t.Errorf("pod routes %q lack %q", routes, want)
			}
		}
		if addr := ipIn(t, podNS, "-4", "addr", "show", "eth0"); !strings.Contains(addr, "inet "+podIP+"/32 ") {
			t.Errorf("pod eth0 %q lacks %s/32", addr, podIP)
		}
		if neigh, want := ipIn(t, podNS, "neigh", "show"), "169.254.1.1 dev eth0 lladdr "+hostMAC+" PERMANENT"; !strings.Contains(neigh, want) {
			t.Errorf("pod neighbours %q lack %q", neigh, want)
		}
		if routes, want := ipIn(t, nodeNS, "route", "show"), podIP+" dev "+veth+" scope link"; !strings.Contains(routes, want) {
			t.Errorf("node routes %q lack %q", routes, want)
		}
		if addr := ipIn(t, nodeNS, "-4", "addr", "show", veth); strings.Contains(addr, "inet ") {
			t.Errorf("host veth has an IPv4 address: %q", addr)
		}
	})

	t.Run("node reaches the pod over TCP", func(t *testing.T) {
		var ln net.Listener
		if err := drillnetns.Do(podPath, func() (err error) { ln, err = net.Listen("tcp", podIP+":0"); return err }); err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			if c, err := ln.Accept(); err == nil {
				_, _ = io.WriteString(c, "pod")
				c.Close()
			}
		}()
		c, err := drillnetns.Dial(ctx, nodePath, &net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if b, err := io.ReadAll(c); err != nil || string(b) != "pod" {
			t.Errorf("read %q, %v from the pod", b, err)
		}
	})

	t.Run("CHECK", func(t *testing.T) {
		if err := p.check(attach("ctr1", podPath, conf(r))); err != nil {
			t.Errorf("CHECK of a fresh attachment: %v", err)
		}
		ipIn(t, podNS, "neigh", "del", "169.254.1.1", "dev", "eth0")
		err := p.check(attach("ctr1", podPath, conf(r)))
		if err == nil || !strings.Contains(err.Error(), "no permanent neighbour 169.254.1.1") {
			t.Errorf("CHECK without the neighbour entry: %v, want it named", err)
		}
		if err := p.check(attach("ctr1", podPath, conf(nil))); err == nil {
			t.Error("CHECK without prevResult: no error")
		}
	})

	t.Run("DEL removes the veth and releases the address, twice", func(t *testing.T) {
		for i := range 2 {
			if err := p.del(attach("ctr1", podPath, conf(nil))); err != nil {
				t.Fatalf("DEL #%d: %v", i+1, err)
			}
		}
		if links := ipIn(t, nodeNS, "link", "show"); strings.Contains(links, veth) {
			t.Errorf("veth %s left on the node: %s", veth, links)
		}
		if links := ipIn(t, podNS, "link", "show"); strings.Contains(links, "eth0") {
			t.Errorf("eth0 left in the pod: %s", links)
		}
		if _, err := os.Stat(filepath.Join(ipamDir, "cnitest", podIP)); !os.IsNotExist(err) {
			t.Errorf("address %s still allocated: %v", podIP, err)
		}
	})

	t.Run("DEL after the pod's namespace is gone", func(t *testing.T) {
		gonePath := addNetns(t, prefix+"gone")
		r2, err := p.add(attach("ctr2", gonePath, conf(nil)))
		if err != nil {
			t.Fatal(err)
		}
		ip2 := r2.IPs[0].Address.IP.String()
		if out, err := exec.Command("ip", "netns", "del", prefix+"gone").CombinedOutput(); err != nil {
			t.Fatalf("ip netns del: %v: %s", err, out)
		}
		if err := p.del(attach("ctr2", gonePath, conf(nil))); err != nil {
			t.Fatalf("DEL: %v", err)
		}
		if _, err := os.Stat(filepath.Join(ipamDir, "cnitest", ip2)); !os.IsNotExist(err) {
			t.Errorf("address %s still allocated: %v", ip2, err)
		}
		if links := ipIn(t, nodeNS, "link", "show"); strings.Contains(links, r2.Interfaces[0].Name) {
			t.Errorf("veth %s left on the node: %s", r2.Interfaces[0].Name, links)
		}
	})
}
