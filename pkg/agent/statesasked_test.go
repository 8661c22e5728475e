package agent

import (
	"context"
	"testing"
)

// TestConntrackStatesOnlyWhenAsked: a collection of every part leaves the
// states out; asking for them by name counts them (here: in the test's own
// network namespace, whatever it holds) or says why not.
func TestConntrackStatesOnlyWhenAsked(t *testing.T) {
	col := New(Config{Node: "n", KubeProxyMetrics: "off"})
	if all := col.Collect(context.Background()); all.Conntrack.States != nil || all.Conntrack.StatesReason != "" {
		t.Fatalf("states counted without being asked for: %v %q", all.Conntrack.States, all.Conntrack.StatesReason)
	}
	st := col.Collect(context.Background(), PartConntrackStates)
	if st.Conntrack.Available && st.Conntrack.States == nil && st.Conntrack.StatesReason == "" {
		t.Fatalf("conntrackStates asked for: neither states nor a reason (%+v)", st.Conntrack)
	}
}
