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
	for _, want := range []string{"f.yaml:8:", "deploymnt", "f.yaml:9:", "chaosMesh is not available"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
}
