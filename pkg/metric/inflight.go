package metric

import (
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// InFlight follows each request from the moment it is sent until its result
// arrives, by the second of the timeline in which it started. It shows what
// results alone cannot: a target that accepts requests and never answers
// produces no results until the request timeout, yet every second of it has
// requests outstanding. An InFlight is safe for concurrent use; Start and
// Done do constant work.
type InFlight struct {
	mu      sync.Mutex
	start   time.Time
	pending []uint32 // by start second: requests without a result yet
	sent    uint64
	done    uint64
	last    time.Time // end of the latest response
}

// FlightState is what an InFlight knows at one moment.
type FlightState struct {
	// Sent counts the requests started so far; InFlight those of them
	// without a result yet.
	Sent, InFlight uint64
	// LastResponse is when the latest response (a result with a status
	// code) ended; zero before the first.
	LastResponse time.Time
}

// NewInFlight returns an InFlight whose timeline starts at start, the t=0
// of the Recorder it goes with.
func NewInFlight(start time.Time) *InFlight {
	return &InFlight{start: start}
}

// Start counts a request sent at at.
func (f *InFlight) Start(at time.Time) {
	t := f.index(at)
	f.mu.Lock()
	for len(f.pending) <= t {
		f.pending = append(f.pending, 0)
	}
	f.pending[t]++
	f.sent++
	f.mu.Unlock()
}

// Done counts the result of a request that Start counted. The result's
// Timestamp is taken just before the hook that called Start runs, so a
// request started on a second's boundary may have been counted in the next
// second: Done then takes it from there.
func (f *InFlight) Done(r *vegeta.Result) {
	t := f.index(r.Timestamp)
	f.mu.Lock()
	f.done++
	switch {
	case t < len(f.pending) && f.pending[t] > 0:
		f.pending[t]--
	case t+1 < len(f.pending) && f.pending[t+1] > 0:
		f.pending[t+1]--
	}
	if r.Code != 0 {
		if end := r.Timestamp.Add(r.Latency); end.After(f.last) {
			f.last = end
		}
	}
	f.mu.Unlock()
}

// Pending returns how many of the requests that started in second t have
// no result yet.
func (f *InFlight) Pending(t int) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t < 0 || t >= len(f.pending) {
		return 0
	}
	return uint64(f.pending[t])
}

// State returns the counts so far.
func (f *InFlight) State() FlightState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FlightState{Sent: f.sent, InFlight: f.sent - min(f.done, f.sent), LastResponse: f.last}
}

func (f *InFlight) index(at time.Time) int {
	off := at.Sub(f.start)
	if off <= 0 {
		return 0
	}
	return int(min(off/time.Second, maxSeconds-1))
}
