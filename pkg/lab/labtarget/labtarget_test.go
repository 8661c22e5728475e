package labtarget

import (
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/run"
)

func TestOnFailurePassesOnFailuresAtATarget(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []run.TargetFailure
	hook := onFailure(func(f run.TargetFailure) { got = append(got, f) })
	hook(dataplane.RequestLog{Time: t0, Target: "10.0.0.1:80", Status: 404, Outcome: dataplane.OutcomeOK})
	hook(dataplane.RequestLog{Time: t0, Status: 503, Outcome: dataplane.OutcomeNoTargets})
	hook(dataplane.RequestLog{Time: t0, Target: "198.19.1.2:8080", Status: 502, Outcome: dataplane.OutcomeConnectRefused, Path: "/"})
	want := run.TargetFailure{Time: t0, Target: "198.19.1.2:8080", Status: 502, Outcome: dataplane.OutcomeConnectRefused}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("failures passed on %+v, want only %+v", got, want)
	}
	if onFailure(nil) != nil {
		t.Fatal("onFailure(nil) must give the ALB no hook")
	}
}
