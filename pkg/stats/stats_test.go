package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g (±%g)", name, got, want, tol)
	}
}

func TestFisherExact(t *testing.T) {
	tests := []struct {
		name       string
		a, b, c, d uint64
		want       float64
	}{
		// Fisher's lady tasting tea: 3 of 4 milk-first cups named right.
		// Two-sided p = 34/70.
		{"tea tasting", 3, 1, 1, 3, 0.4857142857},
		// The textbook dieting example (men 1 of 10, women 11 of 14 dieting).
		{"dieting", 1, 9, 11, 3, 0.0027594562},
		// Rare errors: 0 of 50000 against 3 of 50000. Tables with 0 or 3
		// errors on one side have probability 1/8 each: p = 1/4.
		{"rare errors", 0, 50000, 3, 49997, 0.2499924999},
		{"identical", 5, 5, 5, 5, 1},
		{"all in one cell", 10, 0, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FisherExact(tt.a, tt.b, tt.c, tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != MethodFisher {
				t.Errorf("method = %q", r.Method)
			}
			near(t, "p", r.PValue, tt.want, 1e-9)
		})
	}
	if _, err := FisherExact(0, 0, 0, 0); err == nil {
		t.Error("empty table: want an error")
	}
}

func TestTwoProportionZ(t *testing.T) {
	tests := []struct {
		name           string
		x1, n1, x2, n2 uint64
		z, p           float64
	}{
		// pooled p = 0.505, se = sqrt(.505*.495*(2/100)) = 0.0707089,
		// z = 0.11 / se = 1.55571, p = 0.119776.
		{"45/100 vs 56/100", 45, 100, 56, 100, 1.5557127, 0.1197764},
		// 1.2% vs 1.6% of 10000: z = 2.40737, p = 0.016068.
		{"1.2% vs 1.6%", 120, 10000, 160, 10000, 2.4073682, 0.0160680},
		{"reversed", 160, 10000, 120, 10000, -2.4073682, 0.0160680},
		{"both zero", 0, 100, 0, 200, 0, 1},
		{"both all", 100, 100, 200, 200, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := TwoProportionZ(tt.x1, tt.n1, tt.x2, tt.n2)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "z", r.Statistic, tt.z, 1e-6)
			near(t, "p", r.PValue, tt.p, 1e-6)
		})
	}
	if _, err := TwoProportionZ(1, 0, 1, 2); err == nil {
		t.Error("n1 = 0: want an error")
	}
	if _, err := TwoProportionZ(3, 2, 1, 2); err == nil {
		t.Error("x1 > n1: want an error")
	}
}

func TestProportionTestPicksMethod(t *testing.T) {
	tests := []struct {
		name           string
		x1, n1, x2, n2 uint64
		want           Method
	}{
		{"rare errors use Fisher", 0, 50000, 3, 50000, MethodFisher},
		{"small run uses Fisher", 1, 8, 4, 8, MethodFisher},
		{"common errors use z", 120, 10000, 160, 10000, MethodZ},
		{"near 100% success uses Fisher", 49999, 50000, 50000, 50000, MethodFisher},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ProportionTest(tt.x1, tt.n1, tt.x2, tt.n2)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tt.want {
				t.Errorf("method = %q, want %q", r.Method, tt.want)
			}
		})
	}
}

func ws(vals ...float64) []Weighted {
	out := make([]Weighted, len(vals))
	for i, v := range vals {
		out[i] = Weighted{Value: v, Count: 1}
	}
	return out
}

func TestMannWhitneyU(t *testing.T) {
	tests := []struct {
		name   string
		x, y   []Weighted
		u, z   float64
		p      float64
		effect float64
	}{
		// No ties. Sorted: 11y 12y 16x 17y 19x 20y 22x 24x 29x; the ranks of
		// y are 1, 2, 4, 6, so R = 13 and U = 13 - 4*5/2 = 3. Mean 10,
		// variance 5*4*10/12 = 16.667, z = (3 - 10 + 0.5)/4.0825 = -1.59217,
		// p = 0.111347.
		{"no ties", ws(19, 22, 16, 29, 24), ws(20, 11, 17, 12), 3, -1.5921683, 0.1113469, 3.0 / 20},
		// Ties. Value (count in x, count in y) -> mean rank:
		// 1 (1,0) -> 1; 2 (2,1) -> 3; 3 (3,1) -> 6.5; 4 (1,2) -> 10; 5 (0,2) -> 12.5.
		// R = 3 + 6.5 + 20 + 25 = 54.5, U = 54.5 - 21 = 33.5, mean 21.
		// Tie term: 24 + 60 + 24 + 6 = 114; variance =
		// 7*6/12 * (14 - 114/(13*12)) = 46.44231; z = 12/6.81486 = 1.76086,
		// p = 0.0782624.
		{"ties", ws(1, 2, 2, 3, 3, 3, 4), ws(2, 3, 4, 4, 5, 5), 33.5, 1.7608581, 0.0782624, 33.5 / 42},
		{"weighted equals expanded", []Weighted{{1, 1}, {2, 2}, {3, 3}, {4, 1}}, []Weighted{{2, 1}, {3, 1}, {4, 2}, {5, 2}}, 33.5, 1.7608581, 0.0782624, 33.5 / 42},
		{"all equal", []Weighted{{7, 100}}, []Weighted{{7, 50}}, 2500, 0, 1, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := MannWhitneyU(tt.x, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "U", r.U, tt.u, 1e-9)
			near(t, "z", r.Statistic, tt.z, 1e-6)
			near(t, "p", r.PValue, tt.p, 1e-6)
			near(t, "effect", r.Effect, tt.effect, 1e-9)
		})
	}
	if _, err := MannWhitneyU(nil, ws(1)); err == nil {
		t.Error("empty sample: want an error")
	}
}

func TestMannWhitneyLargeShift(t *testing.T) {
	// Two histograms a bucket apart with a million requests each: the
	// shift must be overwhelmingly significant and point the right way.
	x := []Weighted{{10, 600000}, {11, 400000}}
	y := []Weighted{{10, 400000}, {11, 600000}}
	r, err := MannWhitneyU(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if r.PValue > 1e-12 || r.Statistic <= 0 || r.Effect <= 0.5 {
		t.Errorf("got z=%v p=%v effect=%v, want a clear positive shift", r.Statistic, r.PValue, r.Effect)
	}
}

func TestQuantile(t *testing.T) {
	d := NewDistribution([]Weighted{{3, 2}, {1, 1}, {2, 0}, {5, 1}, {3, 1}})
	// Sorted: 1 3 3 3 5.
	tests := []struct {
		q    float64
		want float64
	}{{0, 1}, {0.2, 1}, {0.21, 3}, {0.5, 3}, {0.8, 3}, {0.81, 5}, {1, 5}}
	for _, tt := range tests {
		got, err := d.Quantile(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if _, err := d.Quantile(1.5); err == nil {
		t.Error("q = 1.5: want an error")
	}
	if _, err := NewDistribution(nil).Quantile(0.5); err == nil {
		t.Error("empty: want an error")
	}
}

func TestBootstrapQuantileDiff(t *testing.T) {
	base := []Weighted{{1, 4000}, {2, 5000}, {3, 900}, {10, 100}}
	tests := []struct {
		name      string
		y         []Weighted
		q         float64
		diff      float64
		excludes0 bool
	}{
		{"same distribution", base, 0.5, 0, false},
		{"median shifted by one unit", []Weighted{{2, 4000}, {3, 5000}, {4, 900}, {11, 100}}, 0.5, 1, true},
		{"tail only", []Weighted{{1, 4000}, {2, 5000}, {3, 900}, {30, 100}}, 0.995, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := BootstrapQuantileDiff(base, tt.y, tt.q, 0.95, 2000, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			if r.Diff != tt.diff {
				t.Errorf("diff = %v, want %v", r.Diff, tt.diff)
			}
			if !r.Interval.Contains(r.Diff) {
				t.Errorf("interval %+v does not contain the observed difference %v", r.Interval, r.Diff)
			}
			if got := !r.Interval.Contains(0); got != tt.excludes0 {
				t.Errorf("interval %+v excludes 0 = %v, want %v", r.Interval, got, tt.excludes0)
			}
		})
	}
	t.Run("deterministic", func(t *testing.T) {
		y := []Weighted{{1, 4500}, {2, 4200}, {3, 1100}, {10, 200}}
		a, _ := BootstrapQuantileDiff(base, y, 0.99, 0.95, 500, rand.New(rand.NewPCG(7, 7)))
		b, _ := BootstrapQuantileDiff(base, y, 0.99, 0.95, 500, rand.New(rand.NewPCG(7, 7)))
		if a != b {
			t.Errorf("same seed gave %+v and %+v", a, b)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 1))
		if _, err := BootstrapQuantileDiff(base, base, 0.5, 1.2, 1000, rng); err == nil {
			t.Error("confidence 1.2: want an error")
		}
		if _, err := BootstrapQuantileDiff(base, base, 0.5, 0.95, 3, rng); err == nil {
			t.Error("3 resamples: want an error")
		}
		if _, err := BootstrapQuantileDiff(nil, base, 0.5, 0.95, 1000, rng); err == nil {
			t.Error("empty sample: want an error")
		}
	})
}

func TestBetaSampleMoments(t *testing.T) {
	// Beta(a, b) has mean a/(a+b); check the sampler (and the gamma sampler
	// under it, including shapes below 1) against it on many draws.
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ab := range [][2]float64{{2, 5}, {0.5, 0.5}, {990, 11}} {
		a, b := ab[0], ab[1]
		const n = 200000
		sum := 0.0
		for range n {
			sum += betaSample(rng, a, b)
		}
		mean := a / (a + b)
		sd := math.Sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)))
		near(t, "mean of Beta", sum/n, mean, 5*sd/math.Sqrt(n))
	}
}

func TestNormal(t *testing.T) {
	near(t, "CDF(1.959964)", NormalCDF(1.959964), 0.975, 1e-6)
	near(t, "Quantile(0.975)", NormalQuantile(0.975), 1.959964, 1e-6)
	near(t, "two-sided p of 1.959964", twoSidedP(-1.959964), 0.05, 1e-6)
}

func BenchmarkBootstrapQuantileDiff(b *testing.B) {
	x := make([]Weighted, 300)
	y := make([]Weighted, 300)
	for i := range x {
		x[i] = Weighted{Value: float64(i), Count: uint64(1000 + i)}
		y[i] = Weighted{Value: float64(i), Count: uint64(1300 - i)}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		if _, err := BootstrapQuantileDiff(x, y, 0.99, 0.95, 2000, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMannWhitneyU(b *testing.B) {
	x := make([]Weighted, 300)
	y := make([]Weighted, 300)
	for i := range x {
		x[i] = Weighted{Value: float64(i), Count: uint64(1000 + i)}
		y[i] = Weighted{Value: float64(i), Count: uint64(1300 - i)}
	}
	for b.Loop() {
		if _, err := MannWhitneyU(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFisherHugeTables(t *testing.T) {
	// A billion requests a side with a handful of failures: the walk from the
	// mode must finish at once and agree with the small-table answer (0 vs 3
	// failures in equal samples: p = 1/4).
	r, err := FisherExact(0, 1_000_000_000, 3, 999_999_997)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "p", r.PValue, 0.25, 1e-6)
	// Balanced margins with counts in the billions: still quick.
	if _, err := FisherExact(40_000_000, 1_000_000_000, 40_001_000, 1_000_000_000); err != nil {
		t.Fatal(err)
	}
	if _, err := FisherExact(1<<62, 1, 1, 1); err == nil {
		t.Error("counts beyond 2^53: want an error")
	}
}

func TestFisherLongRange(t *testing.T) {
	// 10 million events all in the first row of a huge table: the observed
	// table is far out in the tail, and the tails are found by binary search
	// instead of a walk over ten million tables.
	r, err := FisherExact(10_000_000, 0, 0, 1<<50)
	if err != nil {
		t.Fatal(err)
	}
	if r.PValue > 1e-100 {
		t.Errorf("p = %v, want essentially 0", r.PValue)
	}
}

func TestMannWhitneyNaN(t *testing.T) {
	if _, err := MannWhitneyU([]Weighted{{math.NaN(), 1}}, ws(1)); err == nil {
		t.Error("NaN value: want an error")
	}
}
