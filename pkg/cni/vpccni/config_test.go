package vpccni

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"cniVersion":"1.0.0","name":"lab","type":"drill-vpc-cni",
		"ipam":{"type":"host-local","ranges":[[{"subnet":"198.19.1.0/24"}]]},"dns":{"nameservers":["198.19.128.10"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.VethPrefix != DefaultVethPrefix || c.MTU != 0 || c.IPAM.Type != "host-local" || c.Prev != nil {
		t.Errorf("parsed %+v, want prefix %q, MTU 0, IPAM host-local, no prevResult", c, DefaultVethPrefix)
	}
	if len(c.DNS.Nameservers) != 1 || c.DNS.Nameservers[0] != "198.19.128.10" {
		t.Errorf("DNS %+v", c.DNS)
	}
}

func TestParseConfigReportsEveryError(t *testing.T) {
	_, err := ParseConfig([]byte(`{"cniVersion":"0.3.1","type":"drill-vpc-cni","vethPrefix":"toolong","mtu":40,"ipam":{}}`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`cniVersion "0.3.1"`, "name: missing", "ipam.type: missing", `vethPrefix "toolong"`, "mtu 40"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
}

func TestParseConfigRejectsBadJSON(t *testing.T) {
	if _, err := ParseConfig([]byte(`{"cniVersion":`)); err == nil {
		t.Error("truncated JSON parsed")
	}
}

func TestParseConfigPrevResult(t *testing.T) {
	c, err := ParseConfig([]byte(`{"cniVersion":"1.0.0","name":"lab","type":"drill-vpc-cni","ipam":{"type":"host-local"},
		"prevResult":{"cniVersion":"1.0.0",
			"interfaces":[{"name":"eni0123456789a","mac":"02:00:00:00:00:01"},{"name":"eth0","mac":"02:00:00:00:00:02","sandbox":"/run/netns/p"}],
			"ips":[{"interface":1,"address":"198.19.1.7/32","gateway":"169.254.1.1"}],
			"routes":[{"dst":"0.0.0.0/0","gw":"169.254.1.1"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Prev == nil {
		t.Fatal("no prevResult parsed")
	}
	a, err := AttachmentOf(c.Prev, "eth0", "/run/netns/p")
	if err != nil {
		t.Fatal(err)
	}
	if a.PodIP.String() != "198.19.1.7" || a.Host.Name != "eni0123456789a" || a.Host.MAC.String() != "02:00:00:00:00:01" ||
		a.Cont.Name != "eth0" || a.Cont.MAC.String() != "02:00:00:00:00:02" {
		t.Errorf("attachment %+v", a)
	}
	if _, err := AttachmentOf(c.Prev, "eth1", "/run/netns/p"); err == nil || !strings.Contains(err.Error(), "no interface eth1") {
		t.Errorf("attachment of eth1: %v, want no interface eth1", err)
	}
	if _, err := AttachmentOf(c.Prev, "eth0", "/run/netns/q"); err == nil || !strings.Contains(err.Error(), "sandbox /run/netns/p, want /run/netns/q") {
		t.Errorf("attachment in another netns: %v, want the sandbox named", err)
	}
}
