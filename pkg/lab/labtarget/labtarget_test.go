package labtarget

import (
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/cause"
	"github.com/drillkit/drill/pkg/run"
)

func TestOnFailurePassesOnFailuresAndTargetErrors(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []run.TargetFailure
	hook := onFailure(func(f run.TargetFailure) { got = append(got, f) })
	hook(dataplane.RequestLog{Time: t0, Target: "10.0.0.1:80", Status: 404, Outcome: dataplane.OutcomeOK})
	hook(dataplane.RequestLog{Time: t0, Status: 404, Outcome: dataplane.OutcomeNoRule})
	hook(dataplane.RequestLog{Time: t0, Status: 503, Outcome: dataplane.OutcomeNoTargets})
	hook(dataplane.RequestLog{Time: t0, Target: "198.19.1.2:8080", TargetState: "healthy", Status: 502, Outcome: dataplane.OutcomeConnectRefused, Path: "/", ReusedConn: true})
	hook(dataplane.RequestLog{Time: t0, Target: "198.19.1.3:8080", Status: 500, TargetStatus: 500, Outcome: dataplane.OutcomeOK})
	want := []run.TargetFailure{
		{Time: t0, Status: 503, Outcome: dataplane.OutcomeNoTargets},
		{Time: t0, Target: "198.19.1.2:8080", TargetState: "healthy", Status: 502, Outcome: dataplane.OutcomeConnectRefused, Reused: true},
		{Time: t0, Target: "198.19.1.3:8080", Status: 500, TargetStatus: 500, Outcome: dataplane.OutcomeOK},
	}
	if len(got) != len(want) {
		t.Fatalf("failures passed on %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("failure %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if onFailure(nil) != nil {
		t.Fatal("onFailure(nil) must give the ALB no hook")
	}
}

// TestCauseReadsTheLogsOutcomes: the outcomes and target states the cause
// analysis matches are the lab load balancer's.
func TestCauseReadsTheLogsOutcomes(t *testing.T) {
	pairs := [][2]string{
		{cause.OutcomeOK, dataplane.OutcomeOK}, {cause.OutcomeNoTargets, dataplane.OutcomeNoTargets},
		{cause.OutcomeConnectRefused, dataplane.OutcomeConnectRefused}, {cause.OutcomeConnectError, dataplane.OutcomeConnectError},
		{cause.OutcomeConnectTimeout, dataplane.OutcomeConnectTimeout}, {cause.OutcomeTargetClosed, dataplane.OutcomeTargetClosed},
		{cause.OutcomeResponseTimeout, dataplane.OutcomeResponseTimeout}, {cause.OutcomeBodyError, dataplane.OutcomeBodyError},
		{cause.OutcomeDeregistrationCut, dataplane.OutcomeDeregistrationCut}, {cause.OutcomeClientClosed, dataplane.OutcomeClientClosed},
		{cause.StateInitial, string(dataplane.StateInitial)}, {cause.StateHealthy, string(dataplane.StateHealthy)},
		{cause.StateUnhealthy, string(dataplane.StateUnhealthy)}, {cause.StateDraining, string(dataplane.StateDraining)},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("pkg/cause reads %q where the lab load balancer writes %q", p[0], p[1])
		}
	}
}
