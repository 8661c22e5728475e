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
	p.second(metric.Live{Second: metric.Second{T: 9, Requests: 300, Successes: 297, P99: 12 * time.Millisecond}}, metric.FlightState{})
	p.second(metric.Live{Second: metric.Second{T: 19, Requests: 500, Successes: 500}}, metric.FlightState{})
	p.second(metric.Live{Second: metric.Second{T: 3, Requests: 1, Successes: 1}}, metric.FlightState{}) // not a 10th second: no line when not a terminal
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

// TestProgressShowsStall feeds the progress line from a real InFlight: a
// target that stopped answering shows requests in flight, the time since
// the last response and the requests not sent, and 0% ok, not 100%.
func TestProgressShowsStall(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f := metric.NewInFlight(t0)
	// Second 8: two requests answered; second 9: twenty sent, none answered.
	for i := range 2 {
		at := t0.Add(8*time.Second + time.Duration(i)*time.Millisecond)
		f.Start(at)
		f.Done(&vegeta.Result{Timestamp: at, Latency: time.Millisecond, Code: 200})
	}
	for i := range 20 {
		f.Start(t0.Add(9*time.Second + time.Duration(i)*50*time.Millisecond))
	}
	var buf bytes.Buffer
	p := &progress{w: &buf, total: 60 * time.Second, start: t0, clock: func() time.Time { return t0.Add(12 * time.Second) },
		phases: []load.Phase{{Duration: 60 * time.Second, From: vegeta.Rate{Freq: 25, Per: time.Second}, To: vegeta.Rate{Freq: 25, Per: time.Second}}}}
	s := metric.Live{Second: metric.Second{T: 9}, NoResponse: f.Pending(9), NotSent: 5}
	p.second(s, f.State())
	line := buf.String()
	for _, want := range []string{"[  10s/60s]", "20.0 req/s", "ok   0.00%", "in flight 20", "no response for 3s", "5 not sent"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "100") {
		t.Errorf("a stalled second reads as a success: %q", line)
	}
}
