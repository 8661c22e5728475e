package inject

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/conntrack"
	"github.com/drillkit/drill/pkg/scenario"
)

func TestParseNewFaults(t *testing.T) {
	sc := parseScenario(t, `  - {at: 1s, podKill: {selector: app=web, count: 2, gracePeriodSeconds: 0}}
  - {at: 2s, selectorSwitch: {service: web, selector: {app: web, track: green}}}
  - {at: 3s, blueGreen: {ingress: web, service: web-green}}
  - at: 4s
    chaosMesh:
      kind: PodChaos
      spec: {action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}
  - {at: 5s, conntrackFlood: {nodes: [node-1], rate: 500, for: 10s, fill: 0.5}}
  - {at: 6s, podKill: {selector: "app in (web)", all: true, mode: chaosMesh}}
  - {at: 7s, conntrackFlush: {podSelector: app=web, service: web, every: 5s, for: 20s}}
  - {at: 8s, conntrackFlush: {nodes: [node-1], all: true, proto: udp}}
`)
	got, err := Parse(sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 {
		t.Fatalf("%d faults, want 8", len(got))
	}
	pk := got[0].Fault.(*PodKill)
	if pk.Count != 2 || pk.GracePeriodSeconds == nil || *pk.GracePeriodSeconds != 0 || pk.Mode != PodKillDelete || !pk.Wait {
		t.Errorf("podKill %+v", pk)
	}
	if ss := got[1].Fault.(*SelectorSwitch); ss.Selector["track"] != "green" {
		t.Errorf("selectorSwitch %+v", ss)
	}
	if bg := got[2].Fault.(*BlueGreen); bg.Service != "web-green" || bg.Port != 0 {
		t.Errorf("blueGreen %+v", bg)
	}
	cm := got[3].Fault.(*ChaosMesh)
	if cm.Kind != "PodChaos" || cm.Body["action"] != "pod-kill" || cm.Timeout != time.Minute {
		t.Errorf("chaosMesh %+v", cm)
	}
	cf := got[4].Fault.(*ConntrackFlood)
	if cf.Proto != "udp" || cf.To != "nodeIP" || cf.Rate != 500 || cf.For != 10*time.Second || cf.Fill != 0.5 || cf.Image != DefaultImage {
		t.Errorf("conntrackFlood %+v", cf)
	}
	if fl := got[6].Fault.(*ConntrackFlush); fl.Proto != "tcp" || fl.Service != "web" || fl.Every != 5*time.Second || fl.For != 20*time.Second || fl.Timeout != time.Minute {
		t.Errorf("conntrackFlush %+v", fl)
	}
	if fl := got[7].Fault.(*ConntrackFlush); fl.Proto != "udp" || !fl.All || fl.Every != 0 || fl.Name() != "conntrackFlush node-1 every udp entry once" {
		t.Errorf("conntrackFlush %+v %q", fl, fl.Name())
	}
	spec := got[5].Fault.(*PodKill).podChaosSpec("shop")
	if spec["mode"] != "all" || spec["action"] != "pod-kill" {
		t.Errorf("podChaos spec %v", spec)
	}
}

func TestParseRejectsBadFaults(t *testing.T) {
	for _, tc := range []struct {
		name, fault string
		want        []string
	}{
		{"chaos kind", "chaosMesh: {kind: PodChaoss, spec: {action: pod-kill}}", []string{"f.yaml:7:", `"PodChaoss" is not a Chaos Mesh kind`, `did you mean "PodChaos"`}},
		{"chaos field", "chaosMesh: {kind: PodChaos, spec: {action: pod-kill, mode: one, selectr: {}}}", []string{`unknown field "selectr"`}},
		{"chaos invalid", "chaosMesh: {kind: PodChaos, spec: {action: pod-kill, mode: fixed, value: lots}}", []string{"PodChaos spec is invalid"}},
		{"podKill selector", "podKill: {selector: '!!'}", []string{"podKill selector"}},
		{"podKill mode", "podKill: {selector: app=web, mode: chaos}", []string{`"chaos" is not one of delete, chaosMesh`}},
		{"selectorSwitch empty", "selectorSwitch: {service: web, selector: {}}", []string{"selector is empty"}},
		{"blueGreen port", "blueGreen: {ingress: web, service: g, port: 80, portName: http}", []string{"not both"}},
		{"flood nodes", "conntrackFlood: {rate: 10}", []string{"needs nodes"}},
		{"flood bounds", "conntrackFlood: {nodes: [n], rate: 1000000, for: 2h, fill: 1.5}", []string{"above the maximum 100000"}},
		{"flood fill", "conntrackFlood: {nodes: [n], for: 2h, fill: 1.5}", []string{"for: 2h0m0s is outside", "fill: 1.5 is outside"}},
		{"flood to", "conntrackFlood: {nodes: [n], to: google}", []string{`"google" is not one of nodeIP, loopback`}},
		{"flush everything", "conntrackFlush: {nodes: [n]}", []string{"f.yaml:7:", "deletes every tcp entry", "all: true"}},
		{"flush all and a port", "conntrackFlush: {nodes: [n], port: 80, all: true}", []string{"remove all or the filter"}},
		{"flush nodes", "conntrackFlush: {port: 80}", []string{"conntrackFlush needs nodes"}},
		{"flush service and port", "conntrackFlush: {nodes: [n], service: web, port: 80}", []string{"service (its ports are resolved) or port"}},
		{"flush destination", "conntrackFlush: {nodes: [n], destination: web}", []string{"not an IPv4 address or prefix"}},
		{"flush port", "conntrackFlush: {nodes: [n], port: 70000}", []string{"above the maximum 65535"}},
		{"flush proto", "conntrackFlush: {nodes: [n], port: 53, proto: icmp}", []string{`"icmp" is not one of tcp, udp, sctp`}},
		{"flush every", "conntrackFlush: {nodes: [n], port: 80, every: 5s, for: 2h}", []string{"for: 2h0m0s is outside"}},
		{"flush every above for", "conntrackFlush: {nodes: [n], port: 80, every: 30s, for: 10s}", []string{"longer than for"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(parseScenario(t, "  - at: 1s\n    "+tc.fault+"\n"))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestJournalKeepsUndoState: what Recover needs survives the journal, so
// that `drill recover` can finish every fault after drill was killed.
func TestJournalKeepsUndoState(t *testing.T) {
	grace := int64(0)
	faults := []Fault{
		&PodKill{Selector: "app=web", Count: 1, GracePeriodSeconds: &grace, Mode: PodKillChaosMesh, Wait: true, Timeout: time.Minute,
			Killed: []KilledPod{{Name: "web-1", UID: "u1"}}, Owners: []Owner{{Kind: "Deployment", Name: "web"}},
			Chaos: &cluster.Object{Resource: podChaosGVR, Kind: "PodChaos", Namespace: "shop", Name: "drill-podkill-abc"}},
		&SelectorSwitch{Service: "web", Selector: map[string]string{"track": "green"}, Original: map[string]string{"track": "blue"}, Recorded: true},
		&SelectorSwitch{Service: "bare", Selector: map[string]string{"track": "green"}, Recorded: true},
		&BlueGreen{Ingress: "web", Service: "green", Original: []BackendRef{{Rule: -1, Backend: networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"}}}}}},
		&ChaosMesh{Kind: "NetworkChaos", Body: map[string]any{"action": "delay"}, Timeout: time.Minute,
			Created: &cluster.Object{Resource: podChaosGVR, Kind: "NetworkChaos", Namespace: "shop", Name: "drill-networkchaos-1"}},
		&ConntrackFlood{Nodes: []string{"node-1"}, Proto: "udp", To: "nodeIP", Rate: 10, For: time.Second, Pods: []string{"drill-flood-node-1-abc"}, PodNamespace: "shop"},
		&ConntrackFlush{PodSelector: "app=web", Proto: "tcp", Service: "web", Every: time.Second, For: time.Minute,
			Filters: []string{"proto=tcp,port=31080"}, Pods: map[string]string{"node-1": "drill-conntrack-flush-node-1-abc"}, PodNamespace: "shop",
			Flushes: []NodeFlush{{Node: "node-1", Record: conntrack.Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Flushed: conntrack.Flushed{Matched: 3, Deleted: 2, Entries: 40}}}},
			Deleted: map[string]int{"node-1": 2}},
	}
	path := t.TempDir() + "/journal.json"
	j, err := NewJournal(path, Access{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range faults {
		if _, err := j.Record(-1, f, PhaseApplied, nil); err != nil {
			t.Fatal(err)
		}
	}
	back, err := LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	_, pending, err := back.Pending()
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(pending)
	for i, f := range faults {
		t.Run(f.Name(), func(t *testing.T) {
			if !reflect.DeepEqual(pending[i], f) {
				t.Fatalf("journaled %#v\ncame back %#v", f, pending[i])
			}
		})
	}
}

// TestFlushOnURLTargetRefused: a url target has no nodes to flush; the
// scenario is refused with the position of its faults.
func TestFlushOnURLTargetRefused(t *testing.T) {
	src := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: f}\ntarget: {url: 'http://127.0.0.1:18080'}\nload: {rate: 10/s, duration: 60s}\nfaults:\n  - {at: 1s, conntrackFlush: {nodes: [n], port: 80}}\n"
	_, err := scenario.Parse("f.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:6:1: faults: faults need a lab or kube target") {
		t.Fatalf("conntrackFlush on a url target: %v; want the faults position and the reason", err)
	}
}

var podChaosGVR = schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: "podchaos"}
