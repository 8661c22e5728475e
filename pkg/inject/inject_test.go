package inject

import (
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/scenario"
)

func parseScenario(t *testing.T, faults string) *scenario.Scenario {
	t.Helper()
	src := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: f}\ntarget: {lab: {nodes: 1}}\nload: {rate: 10/s, duration: 60s}\nfaults:\n" + faults
	sc, err := scenario.Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return sc
}

func TestParseOrdersAndDecodes(t *testing.T) {
	sc := parseScenario(t, "  - {at: 30s, scale: {deployment: web, replicas: 2}}\n  - {at: 10s, rollingUpdate: {deployment: web}}\n")
	got, err := Parse(sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].At != 10*time.Second || got[1].At != 30*time.Second {
		t.Fatalf("faults %+v: want rollingUpdate at 10s then scale at 30s", got)
	}
	ru, ok := got[0].Fault.(*RollingUpdate)
	if !ok || ru.Deployment != "web" || !ru.Wait {
		t.Fatalf("first fault %#v: want rollingUpdate of web waiting by default", got[0].Fault)
	}
	if s := got[1].Fault.(*Scale); s.Replicas != 2 {
		t.Fatalf("scale replicas %d, want 2", s.Replicas)
	}
}

func TestParseReportsEveryProblemWithPosition(t *testing.T) {
	sc := parseScenario(t, "  - at: 10s\n    rollingUpdate: {deploymnt: web}\n  - at: 20s\n    chaosMesh: {}\n")
	_, err := Parse(sc)
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{"f.yaml:8:", "deploymnt", "f.yaml:10:", `missing required field "kind"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
}

func TestJournalRoundTrip(t *testing.T) {
	path := t.TempDir() + "/journal.json"
	j, err := NewJournal(path, Access{Kubeconfig: "/k/config", Context: "ctx", Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	two := int32(2)
	ru := &RollingUpdate{Deployment: "web", Wait: true, Applied: true}
	sc := &Scale{Deployment: "web", Replicas: 0, Original: &two}
	i, _ := j.Record(-1, ru, PhaseApplied, nil)
	k, _ := j.Record(-1, sc, PhaseApplying, nil)
	if _, err := j.Record(i, ru, PhaseRecovered, nil); err != nil {
		t.Fatal(err)
	}
	back, err := LoadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Kubeconfig != "/k/config" || back.Context != "ctx" || back.Namespace != "shop" {
		t.Fatalf("cluster coordinates lost: %+v", back)
	}
	idx, pending, err := back.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || idx[0] != k {
		t.Fatalf("pending %v at %v: want only the scale", pending, idx)
	}
	got, ok := pending[0].(*Scale)
	if !ok || got.Original == nil || *got.Original != 2 || got.Deployment != "web" {
		t.Fatalf("scale came back as %#v: want its original replica count", pending[0])
	}
	if _, err := LoadJournal(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no journal") {
		t.Fatalf("missing journal: %v", err)
	}
}
