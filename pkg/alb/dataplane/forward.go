package dataplane

import "math/rand/v2"

// WeightedTargetGroup is a target group of a forward action and its share
// of the requests: Weight out of the sum of the action's weights.
type WeightedTargetGroup struct {
	TargetGroup *TargetGroup
	Weight      int
}

// pick returns the target group for one request: the rule's only group, or
// one drawn by weight. It returns nil when every weight is 0.
func (r Rule) pick() *TargetGroup {
	if len(r.Forward) == 0 {
		return r.TargetGroup
	}
	total := 0
	for _, w := range r.Forward {
		total += w.Weight
	}
	if total <= 0 {
		return nil
	}
	n := rand.IntN(total)
	for _, w := range r.Forward {
		if n < w.Weight {
			return w.TargetGroup
		}
		n -= w.Weight
	}
	return nil
}

// uses reports whether the rule can send requests to tg.
func (r Rule) uses(tg *TargetGroup) bool {
	if r.TargetGroup == tg {
		return true
	}
	for _, w := range r.Forward {
		if w.TargetGroup == tg {
			return true
		}
	}
	return false
}
