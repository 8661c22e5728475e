package lab

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{name: "zero value uses defaults", cfg: Config{}},
		{name: "nftables 5 nodes", cfg: Config{Name: "a1", Nodes: 5, ProxyMode: ProxyNFTables}},
		{name: "bad name", cfg: Config{Name: "My-Lab"}, wantErr: []string{`name "My-Lab"`}},
		{name: "name too long", cfg: Config{Name: "abcdefghijklm"}, wantErr: []string{"name"}},
		{name: "too many nodes", cfg: Config{Nodes: MaxNodes + 1}, wantErr: []string{"nodes 101"}},
		{name: "negative nodes", cfg: Config{Nodes: -1}, wantErr: []string{"nodes -1"}},
		{name: "unknown proxy mode", cfg: Config{ProxyMode: "userspace"}, wantErr: []string{`proxy mode "userspace"`}},
		{name: "relative state root", cfg: Config{StateRoot: "labs"}, wantErr: []string{"absolute path"}},
		{name: "VPC outside the lab range", cfg: Config{VPCCIDR: "10.0.0.0/16"}, wantErr: []string{"inside 198.18.0.0/15"}},
		{name: "host bits", cfg: Config{ServiceCIDR: "198.19.128.1/17"}, wantErr: []string{"host bits"}},
		{name: "overlap", cfg: Config{PodCIDR: "198.18.0.0/17"}, wantErr: []string{"overlap"}},
		{name: "relay not loopback", cfg: Config{RelayAddr: "0.0.0.0:6443"}, wantErr: []string{"loopback"}},
		{name: "every error at once", cfg: Config{Name: "X", Nodes: -3, ProxyMode: "x", HostConntrackMax: -1},
			wantErr: []string{"name", "nodes", "proxy mode", "conntrack"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestPlanAddresses(t *testing.T) {
	cfg := Config{Name: "x", Nodes: 3}.withDefaults()
	p, err := newPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"vpc netns", p.VPCNetns, "drill-x-vpc"},
		{"cp netns", p.CPNetns, "drill-x-cp"},
		{"vpc addr", p.VPCAddr, "198.18.0.1"},
		{"api addr", p.APIAddr, "198.18.0.2"},
		{"service ip", p.ServiceIP, "198.19.128.1"},
		{"api url", p.APIServerURL(), "https://198.18.0.2:6443"},
		{"node 1 name", p.Nodes[0].Name, "node-1"},
		{"node 1 ip", p.Nodes[0].IP, "198.18.0.11"},
		{"node 1 pods", p.Nodes[0].PodCIDR, "198.19.1.0/24"},
		{"node 3 netns", p.Nodes[2].Netns, "drill-x-n3"},
		{"node 3 ip", p.Nodes[2].IP, "198.18.0.13"},
		{"node 3 pods", p.Nodes[2].PodCIDR, "198.19.3.0/24"},
		{"state dir", p.StateDir, "/run/drill/labs/x"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func TestProxyModeLabel(t *testing.T) {
	for _, m := range []string{ProxyIPTables, ProxyNFTables} {
		if got := ProxyModeLabel(m); got != m {
			t.Errorf("ProxyModeLabel(%q) = %q", m, got)
		}
	}
	got := ProxyModeLabel(ProxyIPVS)
	if kernelHasIPVS() && got != ProxyIPVS {
		t.Errorf("ProxyModeLabel(ipvs) = %q on a kernel with ip_vs", got)
	}
	if !kernelHasIPVS() && got != IPVSEmulatedLabel {
		t.Errorf("ProxyModeLabel(ipvs) = %q on a kernel without ip_vs, want %q", got, IPVSEmulatedLabel)
	}
}
