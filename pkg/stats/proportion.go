package stats

import (
	"fmt"
	"math"
)

// MinExpected is the smallest expected cell count for which ProportionTest
// trusts the normal approximation; below it, Fisher's exact test is used.
const MinExpected = 5

// TwoProportionZ runs the pooled two-proportion z-test of x1 events in n1
// trials against x2 events in n2 trials. The statistic is positive when the
// second proportion is larger. When both proportions are 0 or both are 1 the
// samples cannot differ and the p-value is 1.
func TwoProportionZ(x1, n1, x2, n2 uint64) (Result, error) {
	if err := checkProportion(x1, n1, x2, n2); err != nil {
		return Result{}, err
	}
	p1 := float64(x1) / float64(n1)
	p2 := float64(x2) / float64(n2)
	pool := float64(x1+x2) / float64(n1+n2)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return Result{Method: MethodZ, Statistic: 0, PValue: 1}, nil
	}
	z := (p2 - p1) / se
	return Result{Method: MethodZ, Statistic: z, PValue: twoSidedP(z)}, nil
}

// ProportionTest compares x1 events in n1 trials with x2 events in n2 trials.
// It uses the two-proportion z-test, or Fisher's exact test when any expected
// cell count of the 2x2 table is below MinExpected, where the normal
// approximation is poor (rare errors, short runs).
func ProportionTest(x1, n1, x2, n2 uint64) (Result, error) {
	if err := checkProportion(x1, n1, x2, n2); err != nil {
		return Result{}, err
	}
	n := float64(n1 + n2)
	events := float64(x1 + x2)
	nonEvents := n - events
	// The smallest expected cell is the smallest row total times the
	// smallest column total over the grand total.
	minExpected := float64(min(n1, n2)) * math.Min(events, nonEvents) / n
	if minExpected < MinExpected {
		return FisherExact(x1, n1-x1, x2, n2-x2)
	}
	return TwoProportionZ(x1, n1, x2, n2)
}

func checkProportion(x1, n1, x2, n2 uint64) error {
	if n1 == 0 || n2 == 0 {
		return fmt.Errorf("proportion test: a sample has no trials (n1=%d, n2=%d); both runs need requests", n1, n2)
	}
	if n1 > maxCount || n2 > maxCount || n1+n2 > maxCount {
		return fmt.Errorf("proportion test: counts above 2^53 are not supported")
	}
	if x1 > n1 || x2 > n2 {
		return fmt.Errorf("proportion test: more events than trials (%d/%d, %d/%d)", x1, n1, x2, n2)
	}
	return nil
}
