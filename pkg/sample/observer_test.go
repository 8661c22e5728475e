package sample

import (
	"sync"
	"testing"

	"github.com/drillkit/drill/pkg/elbv2"
)

// recorder is an Observer that keeps what it receives.
type recorder struct {
	mu        sync.Mutex
	conntrack []Point
}

func (r *recorder) Conntrack(_ string, p Point) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conntrack = append(r.conntrack, p)
}
func (r *recorder) Endpoints(Endpoints)         {}
func (r *recorder) TargetHealth(s elbv2.Sample) {}

// The Observer of a datapath sampler gets each node's sample with the
// drops Datapath counted since the previous one, and nothing for a node it
// could not read.
func TestDatapathSamplerObserved(t *testing.T) {
	obs := &recorder{}
	p := (&NodeSampler{}).Every(1, NewDatapath())
	NewGroup(p).Observe(obs)
	p.add([]NodeSample{ctSample("n1", 0, 10, 100, 5, 0, 0), {Node: "n2", Err: "unreadable"}})
	p.add([]NodeSample{ctSample("n1", 1, 30, 100, 8, 1, 0)})
	if len(obs.conntrack) != 2 {
		t.Fatalf("observed %d samples, want 2: %+v", len(obs.conntrack), obs.conntrack)
	}
	if last := obs.conntrack[1]; last.Count != 30 || last.Max != 100 || last.Drops != 4 {
		t.Errorf("last observed sample %+v, want count 30 of 100 and 4 drops", last)
	}
}
