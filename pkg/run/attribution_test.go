package run

import (
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

func TestAttributionGroupsFailuresByTarget(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newAttribution()
	a.record(TargetFailure{Time: t0.Add(3 * time.Second), Target: "198.19.1.2:8080", Status: 502, Outcome: "target_reset"})
	a.record(TargetFailure{Time: t0.Add(4 * time.Second), Target: "198.19.1.2:8080", Status: 502, Outcome: "target_reset"})
	a.record(TargetFailure{Time: t0.Add(2 * time.Second), Target: "198.19.2.2:8080", Status: 460, Outcome: "client_closed"})
	ev := a.events(t0)
	if len(ev) != 2 {
		t.Fatalf("events %+v: want one per failing target", ev)
	}
	if ev[0].Source != "198.19.2.2:8080" || ev[1].Source != "198.19.1.2:8080" || ev[1].T != 3*time.Second {
		t.Fatalf("events %+v: want the client-closed target first, then the 502 one at t=3s", ev)
	}
	if !strings.HasPrefix(ev[1].Message, report.AttributionPrefix+"2 requests failed") || !strings.Contains(ev[1].Message, "502 target_reset ×2") || !strings.Contains(ev[1].Message, "t=4.0s") {
		t.Fatalf("message %q", ev[1].Message)
	}
}
