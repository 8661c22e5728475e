package run

import (
	"bytes"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
)

func TestProgressNamesPhase(t *testing.T) {
	r100, r500 := vegeta.Rate{Freq: 100, Per: time.Second}, vegeta.Rate{Freq: 5, Per: 10 * time.Millisecond}
	var buf bytes.Buffer
	p := &progress{w: &buf, total: 30 * time.Second, phases: []load.Phase{
		{Duration: 10 * time.Second, From: r100, To: r500},
		{Duration: 20 * time.Second, From: r500, To: r500},
	}}
	p.second(metric.Second{T: 9, Requests: 300, Successes: 297, P99: 12 * time.Millisecond})
	p.second(metric.Second{T: 19, Requests: 500, Successes: 500})
	p.second(metric.Second{T: 3, Requests: 1, Successes: 1}) // not a 10th second: no line when not a terminal
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 plain lines, got %q", buf.String())
	}
	for i, want := range []string{"[  10s/30s]", "ok  99.00%", "p99 12ms", "phase 1/2 ramp 100/s→500/s"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line 1 %q lacks %q (%d)", lines[0], want, i)
		}
	}
	if !strings.Contains(lines[1], "phase 2/2 500/s") {
		t.Errorf("line 2 %q lacks the second phase", lines[1])
	}
}
