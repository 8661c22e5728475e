package render

import (
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

func TestConntrackLines(t *testing.T) {
	lines := conntrackLines(reporttest.Conntrack(), 60)
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want fill and drops for 2 nodes and an axis:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	spark := func(line string) []rune {
		return []rune(line[strings.Index(line, "|")+1 : strings.LastIndex(line, "|")])
	}
	fill, drops := spark(lines[0]), spark(lines[1])
	if len(fill) != 60 || len(drops) != 60 {
		t.Fatalf("sparklines of %d and %d characters, want 60 (one per second)", len(fill), len(drops))
	}
	if fill[30] != '▂' || fill[31] != '█' || fill[38] != '█' || fill[39] != '▂' {
		t.Errorf("node-1 fill = %q: want a quarter before 31s, full from 31s to 38s", string(fill))
	}
	if drops[30] != '·' || drops[38] != '█' || drops[39] != '·' || drops[31] == '·' {
		t.Errorf("node-1 drops = %q: want drops from 31s to 38s, most at 38s", string(drops))
	}
	if !strings.Contains(lines[1], "400 new connections dropped in one second") {
		t.Errorf("drops legend %q lacks the highest count", lines[1])
	}
	if d := spark(lines[3]); strings.Trim(string(d), "·") != "" || !strings.Contains(lines[3], "none dropped") {
		t.Errorf("node-2 drops line %q: want nothing dropped", lines[3])
	}
	if conntrackLines(nil, 60) != nil {
		t.Error("lines drawn without any node sampled")
	}
}

// TestConntrackStateLines: sampled TCP states get a line each, largest
// first, on the table's scale, with their peak.
func TestConntrackStateLines(t *testing.T) {
	var pts []report.ConntrackPoint
	for i := range 10 {
		pts = append(pts, report.ConntrackPoint{T: time.Duration(i) * time.Second, Count: int64(100 + 400*i), Max: 4000,
			States: map[string]int64{"TIME_WAIT": int64(400 * i), "ESTABLISHED": 20, "UDP": 0}})
	}
	lines := conntrackLines([]report.ConntrackSeries{{Node: "node-1", Points: pts}}, 10)
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want fill, drops, TIME_WAIT, ESTABLISHED and the axis:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[2], "TIME_WAIT") || !strings.Contains(lines[2], "(peak 3600 at 9s)") || !strings.Contains(lines[2], "|▁▁▂▃▄▄▅▆▇█|") {
		t.Errorf("TIME_WAIT line %q: want it first, rising to 90%% of the table, peak 3600 at 9s", lines[2])
	}
	if !strings.Contains(lines[3], "ESTABLISHED") || !strings.Contains(lines[3], "peak 20") {
		t.Errorf("ESTABLISHED line %q", lines[3])
	}
	if strings.Contains(strings.Join(lines, "\n"), "UDP") {
		t.Error("a state never seen got a line")
	}
}
