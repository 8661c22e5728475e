package vpccni

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
)

func TestHostVethName(t *testing.T) {
	a := HostVethName("eni", "c1", "eth0")
	if len(a) != 14 || !strings.HasPrefix(a, "eni") {
		t.Errorf("name %q: want eni and 11 hex digits", a)
	}
	if a != HostVethName("eni", "c1", "eth0") {
		t.Error("name not stable")
	}
	if a == HostVethName("eni", "c2", "eth0") || a == HostVethName("eni", "c1", "eth1") {
		t.Error("names of different attachments collide")
	}
	if n := HostVethName("abcd", "c1", "eth0"); len(n) > 15 {
		t.Errorf("name %q longer than IFNAMSIZ-1", n)
	}
}

func ipamResult(t *testing.T, addrs ...string) *current.Result {
	t.Helper()
	r := &current.Result{CNIVersion: "1.0.0"}
	for _, a := range addrs {
		ip, n, err := net.ParseCIDR(a)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		r.IPs = append(r.IPs, &current.IPConfig{Address: *n})
	}
	return r
}

func TestPodAddress(t *testing.T) {
	ip, err := PodAddress(ipamResult(t, "198.19.1.5/24"))
	if err != nil || ip.String() != "198.19.1.5" {
		t.Errorf("PodAddress = %v, %v; want 198.19.1.5", ip, err)
	}
	for _, bad := range [][]string{nil, {"198.19.1.5/24", "198.19.1.6/24"}, {"fd00::5/64"}} {
		if _, err := PodAddress(ipamResult(t, bad...)); err == nil {
			t.Errorf("PodAddress of %v: no error", bad)
		}
	}
}

func TestBuildResult(t *testing.T) {
	c, err := ParseConfig([]byte(`{"cniVersion":"1.0.0","name":"lab","type":"drill-vpc-cni","ipam":{"type":"host-local"},"dns":{"nameservers":["198.19.128.10"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	hostMAC, _ := net.ParseMAC("02:00:00:00:00:01")
	contMAC, _ := net.ParseMAC("02:00:00:00:00:02")
	r, err := BuildResult(c, net.ParseIP("198.19.1.5"), Link{Name: "eniabc", MAC: hostMAC}, Link{Name: "eth0", MAC: contMAC, Sandbox: "/run/netns/p"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cniVersion":"1.0.0","dns":{"nameservers":["198.19.128.10"]},` +
		`"interfaces":[{"mac":"02:00:00:00:00:01","name":"eniabc"},{"mac":"02:00:00:00:00:02","name":"eth0","sandbox":"/run/netns/p"}],` +
		`"ips":[{"address":"198.19.1.5/32","gateway":"169.254.1.1","interface":1}],"routes":[{"dst":"0.0.0.0/0","gw":"169.254.1.1"}]}`
	if string(b) != want {
		t.Errorf("result\n%s\nwant\n%s", b, want)
	}
	// CHECK reads back what ADD returned.
	a, err := AttachmentOf(r, "eth0", "/run/netns/p")
	if err != nil || a.PodIP.String() != "198.19.1.5" || a.Host.Name != "eniabc" {
		t.Errorf("AttachmentOf(BuildResult) = %+v, %v", a, err)
	}
	if _, err := BuildResult(c, net.ParseIP("fd00::1"), Link{}, Link{Sandbox: "x"}); err == nil {
		t.Error("IPv6 pod address accepted")
	}
}
