package ipvsemu

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRulesetGolden(t *testing.T) {
	got := Ruleset("198.19.0.0/17", samplePorts())
	golden := filepath.Join("testdata", "ruleset.nft")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("ruleset differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

func TestBackends(t *testing.T) {
	port := int32(8080)
	pname := "http"
	slice := func(eps ...discoveryv1.Endpoint) []*discoveryv1.EndpointSlice {
		return []*discoveryv1.EndpointSlice{{
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &pname, Port: &port}},
			Endpoints:   eps,
		}}
	}
	ep := func(ip string, ready, serving, terminating bool) discoveryv1.Endpoint {
		r, s, term := ready, serving, terminating
		return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &r, Serving: &s, Terminating: &term}}
	}
	sp := corev1.ServicePort{Name: "http"}
	tests := []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   []string
	}{
		{"ready only, sorted", slice(ep("198.19.2.2", true, true, false), ep("198.19.1.2", true, true, false)), []string{"198.19.1.2", "198.19.2.2"}},
		{"terminating gets weight 0 while ready ones exist", slice(ep("198.19.1.2", true, true, false), ep("198.19.1.3", false, true, true)), []string{"198.19.1.2"}},
		{"only terminating: serving ones are used", slice(ep("198.19.1.3", false, true, true), ep("198.19.1.4", false, false, true)), []string{"198.19.1.3"}},
		{"not ready and not terminating: none", slice(ep("198.19.1.5", false, false, false)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, b := range backends(tt.slices, sp) {
				got = append(got, b.IP)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("backends = %v, want %v", got, tt.want)
			}
		})
	}
}

func samplePorts() []ServicePort {
	return []ServicePort{
		{Name: "default/echo:", Protocol: "tcp", ClusterIP: "198.19.128.10", Port: 80, NodePort: 30080,
			Backends: []Backend{{"198.19.1.2", 8080}, {"198.19.2.2", 8080}, {"198.19.3.2", 8080}}},
		{Name: "default/empty:", Protocol: "tcp", ClusterIP: "198.19.128.11", Port: 80, NodePort: 30081},
		{Name: "kube-system/dns:dns", Protocol: "udp", ClusterIP: "198.19.128.53", Port: 53,
			Backends: []Backend{{"198.19.1.9", 53}}},
	}
}
