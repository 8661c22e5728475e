package run

import (
	"bytes"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"
)

func TestNotSent(t *testing.T) {
	r20 := vegeta.Rate{Freq: 20, Per: time.Second}
	p := load.NewPhasePacer([]load.Phase{{Duration: 3500 * time.Millisecond, From: r20, To: r20}})
	for _, tt := range []struct {
		name string
		t    int
		sent uint64
		want uint64
	}{
		{"all sent", 1, 20, 0},
		{"more sent than due (catching up)", 1, 25, 0},
		{"five of twenty sent", 1, 5, 15},
		{"last, partial second", 3, 0, 10},
		{"after the schedule", 4, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := notSent(p, tt.t, tt.sent); got != tt.want {
				t.Errorf("notSent(second %d, %d sent) = %d, want %d", tt.t, tt.sent, got, tt.want)
			}
		})
	}
}

// Once the load has ended, the seconds after it stopped are empty and are
// not shown: the progress line keeps the last second that had load (on a
// terminal, the stall it showed), not "0 req/s" of an aborted run's tail.
func TestLiveAfterLoadSkipsEmptySeconds(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	var buf bytes.Buffer
	tl := &runState{progress: &progress{w: &buf, tty: true, total: time.Minute, start: t0}}
	tl.start(t0)
	tl.rec.Add(&vegeta.Result{Timestamp: t0.Add(100 * time.Millisecond), Latency: time.Millisecond, Code: 200})
	tl.live(t0.Add(5*time.Second), nil)
	if got := strings.Count(buf.String(), "\r"); got != 1 || !strings.Contains(buf.String(), "[   1s/60s]") {
		t.Errorf("after the load: %q, want only the line of second 1", buf.String())
	}
}
