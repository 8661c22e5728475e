package load

import (
	"math"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func perSec(n int) vegeta.Rate { return vegeta.Rate{Freq: n, Per: time.Second} }

// schedule drives the pacer as vegeta does, always calling right on time, and
// returns the elapsed time at which each hit went out.
func schedule(t *testing.T, p *PhasePacer) []time.Duration {
	t.Helper()
	var out []time.Duration
	elapsed := time.Duration(0)
	for hits := uint64(0); ; {
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			return out
		}
		if wait < 0 {
			t.Fatalf("negative wait %s at %s", wait, elapsed)
		}
		elapsed += wait
		if wait == 0 {
			out = append(out, elapsed)
			hits++
		}
		if len(out) > 1e6 {
			t.Fatal("pacer never stops")
		}
	}
}

func TestPhasePacerSchedule(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		phases []Phase
		want   []time.Duration
	}{
		{
			name:   "constant",
			phases: []Phase{{Duration: time.Second, From: perSec(10), To: perSec(10)}},
			want:   []time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms, 500 * ms, 600 * ms, 700 * ms, 800 * ms, 900 * ms},
		},
		{
			name: "constant then faster",
			phases: []Phase{
				{Duration: 500 * ms, From: perSec(4), To: perSec(4)},
				{Duration: 500 * ms, From: perSec(8), To: perSec(8)},
			},
			want: []time.Duration{0, 250 * ms, 500 * ms, 625 * ms, 750 * ms, 875 * ms},
		},
		{
			name: "fractional hits carry over a boundary",
			phases: []Phase{
				{Duration: 300 * ms, From: perSec(5), To: perSec(5)}, // 1.5 hits: 0 and 200ms
				{Duration: 700 * ms, From: perSec(10), To: perSec(10)},
			},
			// H(t) = 1.5 + 10(t-0.3) for t>=0.3: hit 2 at 350ms, then every 100ms.
			want: []time.Duration{0, 200 * ms, 350 * ms, 450 * ms, 550 * ms, 650 * ms, 750 * ms, 850 * ms, 950 * ms},
		},
		{
			name:   "ramp from zero",
			phases: []Phase{{Duration: 2 * time.Second, From: perSec(0), To: perSec(10)}},
			// H(t) = 2.5t²: hit n at sqrt(n/2.5).
			want: rampFromZero(2.5, 10),
		},
		{
			name: "ramp down to zero then up again",
			phases: []Phase{
				{Duration: time.Second, From: perSec(4), To: perSec(0)}, // H = 4t - 2t², 2 hits
				{Duration: time.Second, From: perSec(0), To: perSec(4)}, // 2 more
			},
			// Hit 1 at H=1: 2t²-4t+1=0, t = 1 - sqrt(0.5). Hits 2, 3 at 1 + sqrt(n-2)/sqrt(2).
			want: []time.Duration{0, secs(1 - math.Sqrt(0.5)), time.Second, secs(1 + math.Sqrt(0.5))},
		},
		{
			name: "per minute",
			phases: []Phase{
				{Duration: time.Minute, From: vegeta.Rate{Freq: 3, Per: time.Minute}, To: vegeta.Rate{Freq: 3, Per: time.Minute}},
			},
			want: []time.Duration{0, 20 * time.Second, 40 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPhasePacer(tt.phases)
			got := schedule(t, p)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d hits %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			if uint64(len(got)) != p.Total() {
				t.Errorf("Total() = %d, schedule sent %d", p.Total(), len(got))
			}
			for i := range got {
				if d := got[i] - tt.want[i]; d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("hit %d at %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func secs(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

func rampFromZero(a float64, n int) []time.Duration {
	var out []time.Duration
	for i := 0; i < n; i++ {
		out = append(out, secs(math.Sqrt(float64(i)/a)))
	}
	return out
}

func TestPhasePacerPace(t *testing.T) {
	p := NewPhasePacer([]Phase{
		{Duration: time.Second, From: perSec(10), To: perSec(10)},
		{Duration: time.Second, From: perSec(10), To: perSec(30)},
	})
	tests := []struct {
		name     string
		elapsed  time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
	}{
		{"first hit at once", 0, 0, 0, false},
		{"ahead waits", 0, 1, 100 * time.Millisecond, false},
		{"behind sends at once", 550 * time.Millisecond, 2, 0, false},
		{"on time", 550 * time.Millisecond, 6, 50 * time.Millisecond, false},
		// Second phase: H(1+x) = 10 + 10x + 10x²; hit 30 would be at x=1.
		{"every hit sent", 1999 * time.Millisecond, 30, 0, true},
		{"phases over", 2 * time.Second, 12, 0, true},
		// Hit 12: 10x² + 10x = 2 → x = (-10+sqrt(180))/20.
		{"ramp", time.Second, 12, secs((-10 + math.Sqrt(180)) / 20), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, stop := p.Pace(tt.elapsed, tt.hits)
			if stop != tt.wantStop {
				t.Fatalf("stop = %v, want %v", stop, tt.wantStop)
			}
			if d := wait - tt.wantWait; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("wait = %s, want %s", wait, tt.wantWait)
			}
		})
	}
	if got := p.Total(); got != 30 {
		t.Errorf("Total() = %d, want 30", got)
	}
	if got := p.Rate(1500 * time.Millisecond); math.Abs(got-20) > 1e-9 {
		t.Errorf("Rate(1.5s) = %g, want 20", got)
	}
	if got := p.Hits(1500 * time.Millisecond); math.Abs(got-17.5) > 1e-9 {
		t.Errorf("Hits(1.5s) = %g, want 17.5", got)
	}
}

func TestPhasePacerUnlimited(t *testing.T) {
	p := NewPhasePacer([]Phase{{Duration: time.Second}})
	for _, hits := range []uint64{0, 1, 1e6} {
		if wait, stop := p.Pace(500*time.Millisecond, hits); wait != 0 || stop {
			t.Errorf("Pace(500ms, %d) = %s, %v; want 0, false", hits, wait, stop)
		}
	}
	if _, stop := p.Pace(time.Second, 5); !stop {
		t.Error("unlimited pacer does not stop at the end of its phase")
	}
}

// FuzzPhasePacer checks the schedule of random phase chains: hits go out in
// order, inside the run, as many as Total, and by every phase boundary
// exactly the hits H(boundary) says are due.
func FuzzPhasePacer(f *testing.F) {
	f.Add(uint16(10), uint16(10), uint16(1000), uint16(0), uint16(50), uint16(700))
	f.Add(uint16(0), uint16(30), uint16(1500), uint16(30), uint16(0), uint16(1500))
	f.Add(uint16(7), uint16(3), uint16(333), uint16(1), uint16(1), uint16(2000))
	f.Fuzz(func(t *testing.T, from1, to1, ms1, from2, to2, ms2 uint16) {
		phases := []Phase{
			{Duration: time.Duration(ms1%5000+1) * time.Millisecond, From: perSec(int(from1 % 500)), To: perSec(int(to1 % 500))},
			{Duration: time.Duration(ms2%5000+1) * time.Millisecond, From: perSec(int(from2 % 500)), To: perSec(int(to2 % 500))},
		}
		if (Config{Phases: phases, Requests: []Request{{URL: "http://127.0.0.1/"}}}).Validate() != nil {
			t.Skip()
		}
		p := NewPhasePacer(phases)
		got := schedule(t, p)
		if uint64(len(got)) != p.Total() {
			t.Fatalf("%d hits, Total %d", len(got), p.Total())
		}
		for i, at := range got {
			if at < 0 || at >= p.Duration() || (i > 0 && at < got[i-1]) {
				t.Fatalf("hit %d at %s (previous %v, duration %s)", i, at, got[max(i-1, 0)], p.Duration())
			}
		}
		boundary := phases[0].Duration
		n := 0
		for _, at := range got {
			if at < boundary {
				n++
			}
		}
		if want := math.Ceil(p.Hits(boundary) - 1e-6); math.Abs(float64(n)-want) > 1 {
			t.Fatalf("%d hits before the boundary, H = %g", n, p.Hits(boundary))
		}
	})
}

func TestPhasePacerPhase(t *testing.T) {
	p := NewPhasePacer([]Phase{
		{Duration: 2 * time.Second, From: perSec(0), To: perSec(10)},
		{Duration: 3 * time.Second, From: perSec(10), To: perSec(10)},
	})
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{-time.Second, 0}, {0, 1}, {1999 * time.Millisecond, 1}, {2 * time.Second, 2}, {4999 * time.Millisecond, 2}, {5 * time.Second, 0}} {
		if got := p.Phase(c.at); got != c.want {
			t.Errorf("Phase(%s) = %d, want %d", c.at, got, c.want)
		}
	}
}
