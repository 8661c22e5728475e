package metric

import (
	"cmp"
	"slices"
	"strings"
)

// Limits of the error set.
const (
	// MaxErrorMessages bounds the distinct error messages counted; further
	// messages count under OtherErrors.
	MaxErrorMessages = 100
	// MaxErrorMessageLen bounds the length of a message kept; longer ones
	// are cut there (and count as one message per distinct beginning).
	MaxErrorMessageLen = 256
	// OtherErrors is the message under which errors beyond
	// MaxErrorMessages distinct messages count.
	OtherErrors = "(other messages)"
)

// ErrorCount is one distinct error message of a run and how many results
// carried it: vegeta's "error set", with counts.
type ErrorCount struct {
	Message string `json:"message"`
	Count   uint64 `json:"count"`
}

// errorSet counts failed results by their error message (vegeta's
// Result.Error: the transport error, or the status line of a failing
// response), in memory bounded by MaxErrorMessages.
type errorSet struct {
	counts map[string]uint64
}

func (e *errorSet) add(msg string) {
	if msg == "" {
		return
	}
	if len(msg) > MaxErrorMessageLen {
		msg = msg[:MaxErrorMessageLen]
	}
	if e.counts == nil {
		e.counts = map[string]uint64{}
	}
	e.counts[boundedKey(e.counts, msg, MaxErrorMessages, OtherErrors)]++
}

// list returns the messages, most frequent first (ties by message), with
// OtherErrors last.
func (e *errorSet) list() []ErrorCount {
	if len(e.counts) == 0 {
		return nil
	}
	out := make([]ErrorCount, 0, len(e.counts))
	for m, n := range e.counts {
		out = append(out, ErrorCount{Message: m, Count: n})
	}
	slices.SortFunc(out, func(a, b ErrorCount) int {
		return cmp.Or(otherLast(a.Message, b.Message, OtherErrors), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message))
	})
	return out
}

// otherLast orders the entry named other after all the others.
func otherLast(a, b, other string) int {
	rank := func(s string) int {
		if s == other {
			return 1
		}
		return 0
	}
	return cmp.Compare(rank(a), rank(b))
}

// boundedKey returns the key under which k counts in m: k itself while m
// has it or holds fewer than limit keys (cloned: results' strings may be
// reused), else other. It keeps a map of counts bounded.
func boundedKey[V any](m map[string]V, k string, limit int, other string) string {
	if _, seen := m[k]; seen {
		return k
	}
	if len(m) >= limit {
		return other
	}
	return strings.Clone(k)
}
