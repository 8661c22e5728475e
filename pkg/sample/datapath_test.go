package sample

import (
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/drillkit/drill/pkg/agent"
)

func ctSample(node string, sec int, count, max int64, drop, early, failed uint64) NodeSample {
	st := &agent.State{Node: node}
	st.Conntrack = agent.Conntrack{Part: agent.Part{Available: true}, Count: count, Max: max,
		Stats: &agent.ConntrackStats{CPU: -1, Drop: drop, EarlyDrop: early, InsertFailed: failed}}
	return NodeSample{Node: node, Time: time.Unix(int64(sec), 0), State: st}
}

func TestDatapath(t *testing.T) {
	for _, tc := range []struct {
		name      string
		samples   []NodeSample
		wantDrops uint64
		wantFill  float64
		wantVals  int
	}{
		{"nothing sampled", nil, 0, 0, 0},
		{"unreadable node only", []NodeSample{{Node: "n1", Err: "boom"}}, 0, 0, 0},
		{"counters before the run do not count", []NodeSample{
			ctSample("n1", 0, 10, 100, 50, 5, 1),
			ctSample("n1", 1, 20, 100, 50, 5, 1),
		}, 0, 0.2, 2},
		{"increases of drop, early_drop and insert_failed summed over nodes", []NodeSample{
			ctSample("n1", 0, 10, 100, 0, 0, 0),
			ctSample("n2", 0, 50, 100, 7, 0, 0),
			ctSample("n1", 1, 90, 100, 3, 2, 1),
			ctSample("n2", 1, 80, 100, 9, 0, 0),
			ctSample("n1", 2, 40, 100, 4, 2, 1),
		}, 6 + 1 + 2, 0.9, 2},
		{"a counter reset starts again from the new value", []NodeSample{
			ctSample("n1", 0, 1, 10, 100, 0, 0),
			ctSample("n1", 1, 1, 10, 110, 0, 0),
			ctSample("n1", 2, 1, 10, 4, 0, 0),
		}, 10 + 4, 0.1, 2},
		{"samples without statistics still give the fill", []NodeSample{
			{Node: "n1", State: &agent.State{Conntrack: agent.Conntrack{Part: agent.Part{Available: true}, Count: 5, Max: 10}}},
		}, 0, 0.5, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDatapath()
			for _, s := range tc.samples {
				d.Add(s)
			}
			if got := d.ConntrackDrops(); got != tc.wantDrops {
				t.Errorf("drops %d, want %d", got, tc.wantDrops)
			}
			if got := d.ConntrackMaxFill(); got != tc.wantFill {
				t.Errorf("max fill %v, want %v", got, tc.wantFill)
			}
			v := d.Values()
			if len(v) != tc.wantVals {
				t.Fatalf("values %v", v)
			}
			if tc.wantVals > 0 && (v[MetricConntrackDrops] != float64(tc.wantDrops) || v[MetricConntrackMaxFill] != tc.wantFill) {
				t.Errorf("values %v", v)
			}
		})
	}
}

func TestDatapathNodes(t *testing.T) {
	d := NewDatapath()
	d.Add(ctSample("n2", 0, 10, 100, 0, 0, 0))
	d.Add(ctSample("n1", 0, 10, 100, 0, 0, 0))
	d.Add(ctSample("n1", 5, 60, 100, 2, 0, 0))
	d.Add(ctSample("n1", 6, 30, 100, 2, 0, 0))
	n := d.Nodes()
	if len(n) != 2 || n[0].Node != "n1" || n[0].Drops != 2 || n[0].MaxFill != 0.6 || n[0].Count != 60 || n[0].MaxFillAt.Unix() != 5 {
		t.Errorf("%+v", n)
	}
}

func TestEndpointsOf(t *testing.T) {
	yes, no := true, false
	ep := func(addr string, ready, serving, terminating *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating}}
	}
	slices := []*discoveryv1.EndpointSlice{
		{Endpoints: []discoveryv1.Endpoint{
			ep("10.0.0.3", &yes, &yes, &no),
			ep("10.0.0.1", nil, nil, nil), // unset ready means ready
			ep("10.0.0.2", &no, &yes, &yes),
			ep("10.0.0.4", &no, &no, &yes),
			ep("10.0.0.5", &no, &no, &no),
		}},
		// the same address in a second slice (during a slice change) counts once
		{Endpoints: []discoveryv1.Endpoint{ep("10.0.0.3", &yes, &yes, &no), {}}},
	}
	e := endpointsOf("web", slices)
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s %v, want %v", name, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s %v, want %v", name, got, want)
				return
			}
		}
	}
	check("ready", e.Ready, "10.0.0.1", "10.0.0.3")
	check("terminating", e.Terminating, "10.0.0.2", "10.0.0.4")
	check("terminating serving", e.TerminatingServing, "10.0.0.2")
	check("not ready", e.NotReady, "10.0.0.5")
	if m := e.Message(); m != "service web: 2 ready, 2 terminating (1 serving), 1 not ready" {
		t.Errorf("message %q", m)
	}
	if !e.same(endpointsOf("web", slices)) || e.same(Endpoints{Service: "web"}) {
		t.Error("same")
	}
}

func TestSummary(t *testing.T) {
	s := ctSample("node-1", 0, 1204, 262144, 1, 2, 0)
	s.State.IPTables = agent.IPTables{Part: agent.Part{Available: true}, Rules: 212}
	s.State.IPVS = agent.IPVS{Part: agent.Part{Reason: "kernel has no ip_vs"}}
	if got, want := s.Summary(), "node-1: conntrack 1204/262144 (0.5%), drops 3; iptables 212 rules"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (NodeSample{Node: "node-2", Err: "read agent: timeout"}).Summary(); got != "node-2: read agent: timeout" {
		t.Errorf("got %q", got)
	}
}

func TestDatapathNotes(t *testing.T) {
	d := NewDatapath()
	steps := []struct {
		s    NodeSample
		want string
	}{
		{ctSample("n1", 0, 10, 100, 5, 0, 0), ""},
		{ctSample("n1", 1, 40, 100, 5, 0, 0), ""},
		{ctSample("n1", 2, 60, 100, 5, 0, 0), "n1: conntrack table 60% full (60 of 100)"},
		{ctSample("n1", 3, 100, 100, 9, 3, 1), "n1: conntrack table 100% full (100 of 100); conntrack could not take 8 new connections (drop + early_drop + insert_failed)"},
		{ctSample("n1", 4, 100, 100, 9, 3, 1), ""},
		{ctSample("n1", 5, 30, 100, 9, 3, 1), ""},
		{ctSample("n1", 6, 95, 100, 9, 3, 1), "n1: conntrack table 95% full (95 of 100)"},
		{NodeSample{Node: "n1", Err: "timeout"}, ""},
	}
	for i, st := range steps {
		if got := d.Add(st.s); got != st.want {
			t.Errorf("sample %d: %q, want %q", i, got, st.want)
		}
	}
}

// TestDatapathNotesTimeouts: a node's first sample puts its conntrack
// timeouts on the timeline, once.
func TestDatapathNotesTimeouts(t *testing.T) {
	d := NewDatapath()
	st := &agent.State{Conntrack: agent.Conntrack{Part: agent.Part{Available: true}, Count: 10, Max: 4096,
		Timeouts: map[string]int64{"tcp_timeout_established": 86400, "tcp_timeout_time_wait": 10, "tcp_timeout_close_wait": 60, "udp_timeout": 30}}}
	first := d.Add(NodeSample{Node: "node-1", Time: time.Now(), State: st})
	if first != "node-1: conntrack timeouts established 86400s, time_wait 10s, close_wait 60s, udp 30s" {
		t.Errorf("first sample noted %q", first)
	}
	if again := d.Add(NodeSample{Node: "node-1", Time: time.Now(), State: st}); again != "" {
		t.Errorf("second sample noted %q", again)
	}
}
