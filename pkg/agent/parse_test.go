package agent

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The fixtures were captured from lab nodes (kube-proxy v1.37.2) with an
// echo Service of 3 endpoints (port named http) and the kubernetes Service.
func TestParseIPTablesSave(t *testing.T) {
	got := ParseIPTablesSave(fixture(t, "iptables-save.txt"))
	if !got.Available || got.Backend != "nf_tables" {
		t.Errorf("available %v backend %q", got.Available, got.Backend)
	}
	if got.Rules != 43 || got.Chains != 32 || got.KubeChains != 20 {
		t.Errorf("rules %d chains %d kube chains %d, want 43 32 20", got.Rules, got.Chains, got.KubeChains)
	}
	wantSvc := map[string]int{"default/echo:http": 3, "default/kubernetes:https": 1}
	if !reflect.DeepEqual(got.Services, wantSvc) {
		t.Errorf("services %v, want %v", got.Services, wantSvc)
	}
	sum := 0
	for _, c := range got.Tables {
		sum += c.Rules
	}
	if sum != got.Rules || len(got.Tables) != 3 {
		t.Errorf("tables %v do not add up to %d rules", got.Tables, got.Rules)
	}
}

func TestRuleComment(t *testing.T) {
	for _, tc := range []struct{ name, rule, want string }{
		{"quoted", `-s 1.2.3.4/32 -m comment --comment "default/echo:http" -j KUBE-MARK-MASQ`, "default/echo:http"},
		{"quoted with spaces and escapes", `-m comment --comment "a \"b\" c" -j X`, `a "b" c`},
		{"unquoted", `-m comment --comment default/echo -j X`, "default/echo"},
		{"none", `-j KUBE-MARK-MASQ`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ruleComment(tc.rule); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseNFTJSON(t *testing.T) {
	got, err := ParseNFTJSON([]byte(fixture(t, "nft-kube-proxy.json")))
	if err != nil {
		t.Fatal(err)
	}
	if got.Rules != 46 || got.Chains != 33 || got.Maps != 10 || got.Sets != 5 || len(got.Tables) != 2 {
		t.Errorf("rules %d chains %d maps %d sets %d tables %d, want 46 33 10 5 2", got.Rules, got.Chains, got.Maps, got.Sets, len(got.Tables))
	}
	if _, ok := got.Tables["ip kube-proxy"]; !ok {
		t.Errorf("tables %v: no ip kube-proxy", got.Tables)
	}
	wantSvc := map[string]int{"default/echo:http": 3, "default/kubernetes:https": 1}
	if !reflect.DeepEqual(got.Services, wantSvc) {
		t.Errorf("services %v, want %v", got.Services, wantSvc)
	}
	if _, err := ParseNFTJSON([]byte("not json")); err == nil {
		t.Error("no error for output that is not JSON")
	}
}

func TestNFTChainService(t *testing.T) {
	for _, tc := range []struct{ chain, prefix, want string }{
		{"service-2GUAAQIC-default/echo/tcp/http", "service-", "default/echo:http"},
		{"service-2GUAAQIC-default/echo/tcp/", "service-", "default/echo"},
		{"endpoint-ABCDEFGH-shop/web/tcp/http__10.0.0.1/8080", "endpoint-", "shop/web:http"},
		{"service-endpoints-check", "service-", ""},
		{"nat-prerouting", "service-", ""},
	} {
		t.Run(tc.chain, func(t *testing.T) {
			if got := nftChainService(tc.chain, tc.prefix); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseProcIPVS(t *testing.T) {
	got, err := ParseProcIPVS(fixture(t, "proc-ip_vs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []VirtualServer{
		{Protocol: "TCP", Address: "198.19.128.16:80", Scheduler: "rr", Real: []RealServer{
			{Address: "198.19.1.2:8080", Weight: 1, ActiveConn: 3, InactiveConn: 10},
			{Address: "198.19.2.2:8080", Weight: 0, ActiveConn: 1, InactiveConn: 0},
		}},
		{Protocol: "UDP", Address: "198.19.128.53:53", Scheduler: "rr", Real: []RealServer{
			{Address: "198.19.1.9:53", Weight: 1},
		}},
		{Protocol: "TCP", Address: "198.18.0.11:30304", Scheduler: "rr", Real: []RealServer{}},
		{Protocol: "TCP", Address: "[fd00::a]:80", Scheduler: "rr", Real: []RealServer{
			{Address: "[fd00::1:2]:8080", Weight: 1, InactiveConn: 2},
		}},
	}
	if !got.Available || got.Emulated || !reflect.DeepEqual(got.Virtual, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if _, err := ParseProcIPVS("IP Virtual Server version 1.2.1\n  -> C6130102:1F90 Masq 1 0 0\n"); err == nil {
		t.Error("no error for a real server without a virtual one")
	}
}

// emulatedIPVSWant is what ipvsemu-table.txt holds.
func emulatedIPVSWant() []VirtualServer {
	echo := []RealServer{
		{Address: "198.19.1.2:8080", Weight: 1, ActiveConn: -1, InactiveConn: -1},
		{Address: "198.19.2.2:8080", Weight: 1, ActiveConn: -1, InactiveConn: -1},
		{Address: "198.19.3.2:8080", Weight: 1, ActiveConn: -1, InactiveConn: -1},
	}
	return []VirtualServer{
		{Service: "default/echo", Protocol: "TCP", Address: "198.19.128.10:80", Scheduler: "rr", Real: echo},
		{Service: "default/echo", Protocol: "TCP", Address: "0.0.0.0:30080", Scheduler: "rr", Real: echo},
		{Service: "kube-system/dns:dns", Protocol: "UDP", Address: "198.19.128.53:53", Scheduler: "rr", Real: []RealServer{
			{Address: "198.19.1.9:53", Weight: 1, ActiveConn: -1, InactiveConn: -1},
		}},
	}
}

// The emulation table ipvsemu-table.json is ipvsemu-table.txt (the ipvsemu
// testdata ruleset as `nft list table` prints it back) loaded into a
// network namespace and listed by `nft -j list table ip drill-ipvs`
// (nftables 1.0.6).
func TestParseEmulatedIPVS(t *testing.T) {
	got, err := ParseEmulatedIPVS([]byte(fixture(t, "ipvsemu-table.json")))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Available || !got.Emulated || got.ConnectionsReason == "" {
		t.Errorf("header: %+v", got)
	}
	if want := emulatedIPVSWant(); !reflect.DeepEqual(got.Virtual, want) {
		t.Errorf("got %+v\nwant %+v", got.Virtual, want)
	}
	for _, bad := range []string{"nft list table ip drill-ipvs", `{"nftables": [{"rule": {"table": "drill-ipvs", "expr": {}}}]}`} {
		if _, err := ParseEmulatedIPVS([]byte(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// A rule the emulation does not write (no goto, a th dport, a random
// numgen) is no virtual server and has no real servers.
func TestParseEmulatedIPVSSkipsOtherRules(t *testing.T) {
	doc := `{"nftables": [
	{"rule": {"family": "ip", "table": "drill-ipvs", "chain": "services", "comment": "a/b:", "expr": [
		{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "198.19.128.10"}},
		{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}},
		{"accept": null}]}},
	{"rule": {"family": "ip", "table": "drill-ipvs", "chain": "svc-x", "comment": "a/b:", "expr": [
		{"dnat": {"family": "ip", "addr": {"map": {"key": {"numgen": {"mode": "random", "mod": 1, "offset": 0}}, "data": {"set": [[0, {"concat": ["198.19.1.2", 8080]}]]}}}}}]}}]}`
	got, err := ParseEmulatedIPVS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Virtual) != 0 {
		t.Errorf("virtual servers %+v, want none", got.Virtual)
	}
}

func TestParseKubeProxyMetrics(t *testing.T) {
	t.Run("v1.37 with ip_family labels", func(t *testing.T) {
		var kp KubeProxy
		if err := ParseKubeProxyMetrics(fixture(t, "kube-proxy-metrics.txt"), &kp); err != nil {
			t.Fatal(err)
		}
		if kp.Syncs != 3 || kp.SyncSeconds < 0.1018 || kp.SyncSeconds > 0.1019 {
			t.Errorf("syncs %d in %v s, want the IPv4 series: 3 in 0.1018 s", kp.Syncs, kp.SyncSeconds)
		}
		want := time.Unix(1795651715, 993761800).UTC()
		if kp.LastSync == nil || kp.LastSync.Sub(want).Abs() > time.Millisecond {
			t.Errorf("last sync %v, want %v", kp.LastSync, want)
		}
	})
	t.Run("unlabelled series", func(t *testing.T) {
		var kp KubeProxy
		text := "kubeproxy_sync_proxy_rules_duration_seconds_count 7\nkubeproxy_sync_proxy_rules_duration_seconds_sum 1.5\n" +
			"kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.7e+09\nkubeproxy_sync_proxy_rules_endpoint_changes_pending 2\n"
		if err := ParseKubeProxyMetrics(text, &kp); err != nil {
			t.Fatal(err)
		}
		if kp.Syncs != 7 || kp.SyncSeconds != 1.5 || kp.LastSync == nil || kp.LastSync.Unix() != 1700000000 || kp.PendingChanges != 2 {
			t.Errorf("%+v", kp)
		}
	})
	t.Run("not kube-proxy", func(t *testing.T) {
		var kp KubeProxy
		if err := ParseKubeProxyMetrics("go_goroutines 12\n", &kp); err == nil {
			t.Error("no error without sync metrics")
		}
	})
}

func TestParseParts(t *testing.T) {
	if p, err := ParseParts("conntrack, iptables"); err != nil || !reflect.DeepEqual(p, []string{"conntrack", "iptables"}) {
		t.Errorf("got %v %v", p, err)
	}
	if p, err := ParseParts(""); err != nil || p != nil {
		t.Errorf("empty: %v %v", p, err)
	}
	if _, err := ParseParts("conntrack,ipvss,foo"); err == nil {
		t.Error("no error for unknown parts")
	}
}

func TestCountConnections(t *testing.T) {
	ap := netip.MustParseAddrPort
	v := IPVS{Virtual: []VirtualServer{
		{Protocol: "TCP", Address: "198.19.128.10:80", Real: []RealServer{{Address: "198.19.1.2:8080", Weight: 1}, {Address: "198.19.2.2:8080", Weight: 1}}},
		{Protocol: "TCP", Address: "0.0.0.0:30080", Real: []RealServer{{Address: "198.19.1.2:8080", Weight: 1}, {Address: "198.19.2.2:8080", Weight: 1}}},
	}}
	conns := []natConn{
		{Proto: "TCP", Orig: ap("198.19.128.10:80"), Backend: ap("198.19.1.2:8080"), Established: true},
		{Proto: "TCP", Orig: ap("198.19.128.10:80"), Backend: ap("198.19.1.2:8080"), Established: false},
		{Proto: "TCP", Orig: ap("198.19.128.10:80"), Backend: ap("198.19.2.2:8080"), Established: true},
		{Proto: "TCP", Orig: ap("198.18.0.11:30080"), Backend: ap("198.19.2.2:8080"), Established: true},
		{Proto: "TCP", Orig: ap("127.0.0.1:30080"), Backend: ap("198.19.2.2:8080"), Established: true},
		// a terminating backend still draining through the NodePort
		{Proto: "TCP", Orig: ap("198.18.0.11:30080"), Backend: ap("198.19.3.2:8080"), Established: true},
		// other protocol, other port: not counted
		{Proto: "UDP", Orig: ap("198.19.128.10:80"), Backend: ap("198.19.1.2:8080")},
		{Proto: "TCP", Orig: ap("198.19.128.10:81"), Backend: ap("198.19.1.2:8080"), Established: true},
	}
	countConnections(&v, conns)
	want := []VirtualServer{
		{Protocol: "TCP", Address: "198.19.128.10:80", Real: []RealServer{
			{Address: "198.19.1.2:8080", Weight: 1, ActiveConn: 1, InactiveConn: 1},
			{Address: "198.19.2.2:8080", Weight: 1, ActiveConn: 1},
		}},
		{Protocol: "TCP", Address: "0.0.0.0:30080", Real: []RealServer{
			{Address: "198.19.1.2:8080", Weight: 1},
			{Address: "198.19.2.2:8080", Weight: 1, ActiveConn: 2},
			{Address: "198.19.3.2:8080", Weight: 0, ActiveConn: 1},
		}},
	}
	if !reflect.DeepEqual(v.Virtual, want) {
		t.Errorf("got %+v\nwant %+v", v.Virtual, want)
	}
}

// The emulation lists the same backends under the cluster IP and the
// NodePort: each virtual server must count its own connections.
func TestEmulatedCountsPerVirtualServer(t *testing.T) {
	v, err := ParseEmulatedIPVS([]byte(fixture(t, "ipvsemu-table.json")))
	if err != nil {
		t.Fatal(err)
	}
	countConnections(&v, []natConn{
		{Proto: "TCP", Orig: netip.MustParseAddrPort("198.19.128.10:80"), Backend: netip.MustParseAddrPort("198.19.1.2:8080"), Established: true},
	})
	if a, b := v.Virtual[0].Real[0].ActiveConn, v.Virtual[1].Real[0].ActiveConn; a != 1 || b != 0 {
		t.Errorf("cluster IP %d, NodePort %d active connections to 198.19.1.2:8080; want 1 and 0", a, b)
	}
}

// The endpoint count of a service chain's rule, in each form kube-proxy
// writes (statements as `nft -j` writes them).
func TestRuleEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		want       int
	}{
		{"dnat map keyed by numgen", `[{"dnat": {"family": "ip", "addr": {"map": {"key": {"numgen": {"mode": "random", "mod": 3, "offset": 0}}, "data": {"set": [[0, {"concat": ["198.19.1.2", 8080]}]]}}}}}]`, 3},
		{"vmap keyed by numgen", `[{"vmap": {"key": {"numgen": {"mode": "random", "mod": 2, "offset": 0}}, "data": {"set": [[0, {"goto": {"target": "endpoint-A"}}], [1, {"goto": {"target": "endpoint-B"}}]]}}}]`, 2},
		{"plain dnat", `[{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}}, {"dnat": {"addr": "198.18.0.2", "port": 6443}}]`, 1},
		{"vmap by address", `[{"vmap": {"key": {"payload": {"protocol": "ip", "field": "daddr"}}, "data": "@no-endpoint-services"}}]`, 0},
		{"no statements", `[]`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stmts, err := (&nftRef{Expr: []byte(tc.expr)}).statements()
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleEndpoints(stmts); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}
