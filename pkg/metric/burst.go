package metric

import "time"

// findBursts finds the error bursts of a timeline. A burst is a maximal run
// of seconds in which some request failed; seconds without any request in
// between do not break it (nothing succeeded in them either). StartT is its
// first failing second and EndT the second after its last failing one.
// Recovery is the time from the start of StartT to the start of the first
// later second that had requests and no failure; zero when the run ended
// before such a second. Recovery is never shorter than EndT-StartT seconds.
func findBursts(timeline []Second) []Burst {
	var out []Burst
	for i := 0; i < len(timeline); {
		if failures(timeline[i]) == 0 {
			i++
			continue
		}
		b := Burst{StartT: timeline[i].T}
		j := i
		for ; j < len(timeline); j++ {
			s := timeline[j]
			if f := failures(s); f > 0 {
				b.Failures += f
				b.EndT = s.T + 1
				continue
			}
			if s.Requests > 0 {
				break
			}
		}
		if j < len(timeline) {
			b.Recovery = time.Duration(timeline[j].T-b.StartT) * time.Second
		}
		out = append(out, b)
		i = j
	}
	return out
}

func failures(s Second) uint64 { return s.Requests - min(s.Successes, s.Requests) }
