package stats

import (
	"fmt"
	"math"
)

// DefaultPower is the power drill's sample sizes are computed for: the
// probability that a test detects an effect of the given size when it is
// there.
const DefaultPower = 0.8

// zSum is z(1-α/2) + z(power), the distance in standard errors between
// "no difference" and the effect that a two-sided test at confidence
// detects with probability power.
func zSum(confidence, power float64) (za, zb float64, err error) {
	if confidence <= 0 || confidence >= 1 || power <= 0 || power >= 1 {
		return 0, 0, fmt.Errorf("sample size: confidence %v and power %v must be between 0 and 1", confidence, power)
	}
	return NormalQuantile(1 - (1-confidence)/2), NormalQuantile(power), nil
}

// ProportionSampleSize returns the trials per sample (equal samples) that
// the two-sided two-proportion z-test at confidence needs to tell a rate
// of p1 from one of p2 with probability power (Fleiss, without continuity
// correction):
//
//	n = (z(1-α/2) √(2 p̄ (1-p̄)) + z(power) √(p1 (1-p1) + p2 (1-p2)))² / (p2-p1)²
//
// with p̄ the mean of p1 and p2, rounded up.
func ProportionSampleSize(p1, p2, confidence, power float64) (uint64, error) {
	za, zb, err := zSum(confidence, power)
	if err != nil {
		return 0, err
	}
	if p1 < 0 || p1 > 1 || p2 < 0 || p2 > 1 || p1 == p2 {
		return 0, fmt.Errorf("sample size: rates %v and %v must differ and lie in [0, 1]", p1, p2)
	}
	pbar := (p1 + p2) / 2
	a := za * math.Sqrt(2*pbar*(1-pbar))
	b := zb * math.Sqrt(p1*(1-p1)+p2*(1-p2))
	return ceilCount((a + b) * (a + b) / ((p2 - p1) * (p2 - p1))), nil
}

// RankSampleSize returns the observations per sample (equal samples) that
// the two-sided Mann-Whitney U test at confidence needs to detect, with
// probability power, that an observation of one sample exceeds one of the
// other with probability 0.5 + effect (Noether 1987):
//
//	N = (z(1-α/2) + z(power))² / (12 c (1-c) effect²), c = 1/2, n = N/2
//
// rounded up.
func RankSampleSize(effect, confidence, power float64) (uint64, error) {
	za, zb, err := zSum(confidence, power)
	if err != nil {
		return 0, err
	}
	if effect <= 0 || effect >= 0.5 {
		return 0, fmt.Errorf("sample size: effect %v must be above 0 and below 0.5", effect)
	}
	total := (za + zb) * (za + zb) / (3 * effect * effect)
	return ceilCount(total / 2), nil
}

// ScaledSampleSize returns the observations per sample an interval
// estimate needs to detect a difference of effect with probability power,
// given that n per sample gave a two-sided interval at confidence of
// half-width halfWidth: the standard error shrinks as 1/√n, and detection
// needs effect = (z(1-α/2) + z(power)) standard errors.
func ScaledSampleSize(n uint64, halfWidth, effect, confidence, power float64) (uint64, error) {
	za, zb, err := zSum(confidence, power)
	if err != nil {
		return 0, err
	}
	if n == 0 || halfWidth < 0 || effect <= 0 {
		return 0, fmt.Errorf("sample size: need observations (%d), a half-width (%v) and an effect above zero (%v)", n, halfWidth, effect)
	}
	r := halfWidth * (za + zb) / (za * effect)
	return ceilCount(float64(n) * r * r), nil
}

// EffectiveSize is the size of each of two equal samples that estimate a
// difference as precisely as samples of n1 and n2 (1/n1 + 1/n2 = 2/n).
func EffectiveSize(n1, n2 uint64) uint64 {
	if n1 == 0 || n2 == 0 {
		return 0
	}
	return uint64(2 * float64(n1) * float64(n2) / (float64(n1) + float64(n2)))
}

// ceilCount rounds a sample size up, tolerating float noise just above a
// whole number, and bounds it to what the tests accept.
func ceilCount(x float64) uint64 {
	if x >= maxCount || math.IsInf(x, 1) || math.IsNaN(x) {
		return maxCount
	}
	return uint64(math.Ceil(x - 1e-9))
}
