package advise

import (
	"strings"
	"testing"
	"time"
)

func TestConntrackHeadroom(t *testing.T) {
	nodes := []NodeConntrack{
		{Node: "roomy", Count: 60000, Max: 131072},                           // 54% free
		{Node: "edge", Count: 3072, Max: 4096},                               // exactly 25% free
		{Node: "tight", Count: 3500, Max: 4096, TimeWait: 120 * time.Second}, // 14.5% free
		{Node: "full", Count: 4096, Max: 4096, TimeWait: 10 * time.Second},   // nothing free
		{Node: "unread", Count: 10, Max: 0},
	}
	fs := AnalyzeNodes(nodes)
	got := map[string]Finding{}
	for _, f := range fs {
		if f.Rule != "conntrack-headroom" || f.Object.Kind != "Node" || f.Object.File != "" {
			t.Errorf("finding %+v", f)
		}
		got[f.Object.Name] = f
	}
	if len(fs) != 2 {
		t.Fatalf("findings %+v, want tight and full", fs)
	}
	if f := got["tight"]; f.Level != LevelWarning || !strings.Contains(f.Reason, "3500 of 4096 conntrack entries in use (85%): 596 left, room for about 5 more new connections a second closing into TIME_WAIT (120 s)") {
		t.Errorf("tight: %s %q", f.Level, f.Reason)
	}
	if f := got["full"]; f.Level != LevelError || !strings.Contains(f.Reason, "0 left, room for about 0 more") || !strings.Contains(f.Reason, "(10 s)") {
		t.Errorf("full: %s %q", f.Level, f.Reason)
	}
	if !HasErrors(fs) {
		t.Error("a full table is no error")
	}
}
