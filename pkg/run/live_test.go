package run

import (
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
