package kubelet

import "time"

// backoffPolicy is the crash-loop back-off: the first restart is immediate,
// later ones wait Initial, doubling up to Max; a container that ran at least
// Reset before exiting restarts at once and its back-off starts over.
type backoffPolicy struct {
	Initial time.Duration
	Max     time.Duration
	Reset   time.Duration
}

// defaultBackoff is deliberately smaller than the kubelet's 10 s..5 min so a
// crash loop in the lab shows within seconds.
func defaultBackoff() backoffPolicy {
	return backoffPolicy{Initial: time.Second, Max: 10 * time.Second, Reset: 30 * time.Second}
}

// delay returns the wait before restarting a container that ran for ran,
// given its current back-off state, and the new state.
func (b backoffPolicy) delay(state, ran time.Duration) (wait, next time.Duration) {
	if ran >= b.Reset {
		state = 0
	}
	switch {
	case state == 0:
		next = b.Initial
	case state*2 > b.Max:
		next = b.Max
	default:
		next = state * 2
	}
	return state, next
}
