package stats

import (
	"math/rand/v2"
	"testing"
)

// Values worked by hand from the formulas (Fleiss without continuity
// correction; Noether), as the textbooks' tables give them.
func TestProportionSampleSize(t *testing.T) {
	for _, tc := range []struct {
		p1, p2, conf, power float64
		want                uint64
	}{
		{0.05, 0.10, 0.95, 0.80, 435}, // 434.4
		{0.10, 0.05, 0.95, 0.80, 435}, // symmetric
		{0.05, 0.10, 0.95, 0.90, 582}, // 581.1
		{0.00, 0.001, 0.95, 0.80, 7844},
		{0.50, 0.60, 0.95, 0.80, 388}, // 387.3
	} {
		got, err := ProportionSampleSize(tc.p1, tc.p2, tc.conf, tc.power)
		if err != nil || got != tc.want {
			t.Errorf("ProportionSampleSize(%v, %v, %v, %v) = %d, %v; want %d", tc.p1, tc.p2, tc.conf, tc.power, got, err, tc.want)
		}
	}
	for _, bad := range [][4]float64{{0.1, 0.1, 0.95, 0.8}, {-0.1, 0.1, 0.95, 0.8}, {0.1, 0.2, 1, 0.8}, {0.1, 0.2, 0.95, 0}} {
		if _, err := ProportionSampleSize(bad[0], bad[1], bad[2], bad[3]); err == nil {
			t.Errorf("ProportionSampleSize%v: want an error", bad)
		}
	}
}

func TestRankSampleSize(t *testing.T) {
	// (1.959964 + 0.841621)² / (3 · 0.1²) / 2 = 130.8
	if n, err := RankSampleSize(0.1, 0.95, 0.8); err != nil || n != 131 {
		t.Errorf("RankSampleSize(0.1) = %d, %v; want 131", n, err)
	}
	// A quarter of the effect needs sixteen times the requests: 2093.03.
	if n, _ := RankSampleSize(0.025, 0.95, 0.8); n != 2094 {
		t.Errorf("RankSampleSize(0.025) = %d, want 2094", n)
	}
	if _, err := RankSampleSize(0.5, 0.95, 0.8); err == nil {
		t.Error("effect 0.5: want an error")
	}
}

func TestScaledSampleSize(t *testing.T) {
	za, zb := NormalQuantile(0.975), NormalQuantile(0.8)
	// An interval whose half-width is effect·z(α)/(z(α)+z(β)) is just
	// precise enough; twice as wide needs four times the observations.
	h := 0.01 * za / (za + zb)
	if n, err := ScaledSampleSize(1000, h, 0.01, 0.95, 0.8); err != nil || n != 1000 {
		t.Errorf("ScaledSampleSize(just enough) = %d, %v; want 1000", n, err)
	}
	if n, _ := ScaledSampleSize(1000, 2*h, 0.01, 0.95, 0.8); n != 4000 {
		t.Errorf("ScaledSampleSize(twice as wide) = %d, want 4000", n)
	}
	if _, err := ScaledSampleSize(0, h, 0.01, 0.95, 0.8); err == nil {
		t.Error("no observations: want an error")
	}
	if EffectiveSize(1000, 1000) != 1000 || EffectiveSize(1000, 3000) != 1500 || EffectiveSize(0, 5) != 0 {
		t.Errorf("EffectiveSize: %d %d %d", EffectiveSize(1000, 1000), EffectiveSize(1000, 3000), EffectiveSize(0, 5))
	}
}

// binomial draws the successes of n Bernoulli trials of rate p.
func binomial(rng *rand.Rand, n uint64, p float64) uint64 {
	var x uint64
	for range n {
		if rng.Float64() < p {
			x++
		}
	}
	return x
}

// simulate runs many comparisons of n trials of rate p1 with n of rate p2
// through ProportionTest and returns the share found significantly higher
// in the second sample ("worse" for an error rate) and significantly
// different either way.
func simulate(rng *rand.Rand, sims int, n uint64, p1, p2, confidence float64) (worse, different float64) {
	var w, d int
	for range sims {
		x1, x2 := binomial(rng, n, p1), binomial(rng, n, p2)
		r, err := ProportionTest(x1, n, x2, n)
		if err != nil {
			panic(err)
		}
		if r.Significant(confidence) {
			d++
			if float64(x2)/float64(n) > float64(x1)/float64(n) {
				w++
			}
		}
	}
	return float64(w) / float64(sims), float64(d) / float64(sims)
}

// The sample size delivers what it promises: with equal rates a
// difference is found about α of the time ("worse" about α/2), and with
// rates differing by the effect at the computed n about the power fraction
// of the time. 2000 simulated comparisons: the standard error of a share
// near 0.05 is 0.005, near 0.8 it is 0.009.
func TestSampleSizeSimulation(t *testing.T) {
	const sims, conf, power = 2000, 0.95, 0.8
	rng := rand.New(rand.NewPCG(42, 7))
	n, err := ProportionSampleSize(0.05, 0.10, conf, power)
	if err != nil {
		t.Fatal(err)
	}
	worse, diff := simulate(rng, sims, n, 0.05, 0.05, conf)
	t.Logf("equal rates 5%%, n=%d: worse %.3f, different %.3f", n, worse, diff)
	if worse > 0.04 || diff > 0.065 {
		t.Errorf("equal rates: worse %.3f (want ≤ 0.04, α/2 = 0.025), different %.3f (want ≤ 0.065, α = 0.05)", worse, diff)
	}
	worse, diff = simulate(rng, sims, n, 0.05, 0.10, conf)
	t.Logf("5%% vs 10%%, n=%d: worse %.3f, different %.3f", n, worse, diff)
	if worse < 0.75 || worse > 0.85 {
		t.Errorf("5%% vs 10%% at n=%d: detected %.3f of the time, want the power 0.8 ± 0.05", n, worse)
	}
	// Rare errors (0.1%% against none): the test is then Fisher's, exact
	// and conservative, so it detects at most the power fraction.
	n, _ = ProportionSampleSize(0, 0.001, conf, power)
	worse, _ = simulate(rng, 500, n, 0, 0.001, conf)
	t.Logf("0 vs 0.1%%, n=%d: worse %.3f", n, worse)
	if worse < 0.6 || worse > 0.9 {
		t.Errorf("0 vs 0.1%% at n=%d: detected %.3f of the time, want near the power 0.8", n, worse)
	}
}
