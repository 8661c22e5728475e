package metric

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Limits of the per-name breakdown.
const (
	// MaxRequestNames bounds the distinct request names broken down (each
	// keeps a latency histogram); results of further names count under
	// OtherRequests.
	MaxRequestNames = 64
	// OtherRequests is the name under which requests beyond
	// MaxRequestNames distinct names count.
	OtherRequests = "(other requests)"
)

// NamedRequests is the breakdown of one named request of the scenario
// (load.requests[].name, carried in vegeta's Result.Attack).
type NamedRequests struct {
	Name      string        `json:"name"`
	Requests  uint64        `json:"requests"`
	Successes uint64        `json:"successes"`
	P50       time.Duration `json:"p50Ns"`
	P99       time.Duration `json:"p99Ns"`
}

type nameState struct {
	requests, successes uint64
	hist                *hist
}

// byName counts results per request name, in memory bounded by
// MaxRequestNames. While every result has the same name (most scenarios
// have one request) it keeps nothing of its own: that name's numbers are the
// run's. The first result of a second name copies them, so nothing is lost.
type byName struct {
	first string
	seen  bool
	names map[string]*nameState // nil while one name was seen
}

// add counts a result of name. total is what the Recorder counted before
// this result.
func (b *byName) add(name string, ok bool, lat int64, total nameState) {
	if b.names == nil {
		if !b.seen || name == b.first {
			if !b.seen {
				b.first, b.seen = strings.Clone(name), true
			}
			return
		}
		first := total
		first.hist = total.hist.clone()
		b.names = map[string]*nameState{b.first: &first}
	}
	name = boundedKey(b.names, name, MaxRequestNames, OtherRequests)
	s := b.names[name]
	if s == nil {
		s = &nameState{hist: newHist()}
		b.names[name] = s
	}
	s.requests++
	if ok {
		s.successes++
	}
	s.hist.add(lat)
}

// list returns the breakdown by name, in name order with OtherRequests
// last; total is the whole run.
func (b *byName) list(total nameState) []NamedRequests {
	if !b.seen {
		return nil
	}
	names := b.names
	if names == nil {
		names = map[string]*nameState{b.first: &total}
	}
	out := make([]NamedRequests, 0, len(names))
	for name, s := range names {
		out = append(out, NamedRequests{Name: name, Requests: s.requests, Successes: s.successes,
			P50: time.Duration(s.hist.quantile(0.5)), P99: time.Duration(s.hist.quantile(0.99))})
	}
	slices.SortFunc(out, func(x, y NamedRequests) int {
		return cmp.Or(otherLast(x.Name, y.Name, OtherRequests), strings.Compare(x.Name, y.Name))
	})
	return out
}

func (h *hist) clone() *hist {
	c := *h
	c.counts = slices.Clone(h.counts)
	return &c
}
