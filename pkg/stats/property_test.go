package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomSample draws k weighted values from a small integer range so ties
// are common, as in a histogram.
func randomSample(rng *rand.Rand, k int) []Weighted {
	s := make([]Weighted, k)
	for i := range s {
		s[i] = Weighted{Value: float64(rng.IntN(12)), Count: uint64(rng.IntN(50))}
	}
	s[0].Count++ // never empty
	return s
}

func TestMannWhitneyProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 500 {
		x, y := randomSample(rng, 1+rng.IntN(8)), randomSample(rng, 1+rng.IntN(8))
		a, err := MannWhitneyU(x, y)
		if err != nil {
			t.Fatal(err)
		}
		b, err := MannWhitneyU(y, x)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(a.PValue) || a.PValue < 0 || a.PValue > 1 {
			t.Fatalf("case %d: p = %v", i, a.PValue)
		}
		// Swapping the samples mirrors the statistic and keeps p.
		if math.Abs(a.Statistic+b.Statistic) > 1e-9 || math.Abs(a.PValue-b.PValue) > 1e-9 {
			t.Fatalf("case %d: swapped z %v/%v, p %v/%v", i, a.Statistic, b.Statistic, a.PValue, b.PValue)
		}
		// U of y plus U of x is n1 n2.
		if n := float64(a.N1 * a.N2); math.Abs(a.U+b.U-n) > 1e-6 {
			t.Fatalf("case %d: U sum %v, want %v", i, a.U+b.U, n)
		}
	}
}

func TestFisherProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 300 {
		a, b, c, d := uint64(rng.IntN(30)), uint64(rng.IntN(30)), uint64(rng.IntN(30)), uint64(rng.IntN(30)+1)
		p, err := FisherExact(a, b, c, d)
		if err != nil {
			t.Fatal(err)
		}
		// Transposing the table or swapping its rows asks the same question.
		q, _ := FisherExact(a, c, b, d)
		r, _ := FisherExact(c, d, a, b)
		if p.PValue <= 0 || p.PValue > 1 || math.Abs(p.PValue-q.PValue) > 1e-9 || math.Abs(p.PValue-r.PValue) > 1e-9 {
			t.Fatalf("case %d (%d %d %d %d): p %v, transposed %v, rows swapped %v", i, a, b, c, d, p.PValue, q.PValue, r.PValue)
		}
	}
}

func TestZAgreesWithFisherOnLargeTables(t *testing.T) {
	// With large expected counts the normal approximation and the exact
	// test must tell the same story.
	z, _ := TwoProportionZ(300, 10000, 380, 10000)
	f, _ := FisherExact(300, 9700, 380, 9620)
	if math.Abs(z.PValue-f.PValue) > 0.005 {
		t.Errorf("z-test p = %v, Fisher p = %v; want them within 0.005", z.PValue, f.PValue)
	}
}
