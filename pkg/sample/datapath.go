package sample

import (
	"sort"
	"time"
)

// Names of the values Datapath derives, as checks refer to them.
const (
	// MetricConntrackDrops is the number of connections the conntrack
	// tables of the sampled nodes could not take during the run: the sum
	// over nodes of the increase of drop + early_drop + insert_failed.
	MetricConntrackDrops = "conntrack_drops"
	// MetricConntrackMaxFill is the highest nf_conntrack_count /
	// nf_conntrack_max seen on any node (0 to 1).
	MetricConntrackMaxFill = "conntrack_max_fill"
)

// Datapath derives run-level values from node samples as they stream in,
// with constant work per sample.
type Datapath struct {
	nodes map[string]*nodeTrack
}

type nodeTrack struct {
	prev     uint64 // last drop+early_drop+insert_failed seen
	havePrev bool
	drops    uint64 // increase over the run
	maxFill  float64
	maxAt    time.Time
	count    int64
	max      int64
}

// NewDatapath returns an empty accumulator.
func NewDatapath() *Datapath { return &Datapath{nodes: map[string]*nodeTrack{}} }

// Add takes one node sample into account. Samples without a state, or
// without conntrack statistics, add nothing to the drops. A counter that
// goes down (the node's network namespace was recreated) starts again from
// its new value.
func (d *Datapath) Add(s NodeSample) {
	if s.State == nil || !s.State.Conntrack.Available {
		return
	}
	n := d.nodes[s.Node]
	if n == nil {
		n = &nodeTrack{}
		d.nodes[s.Node] = n
	}
	c := s.State.Conntrack
	if f := c.Fill(); f > n.maxFill || n.maxAt.IsZero() {
		n.maxFill, n.maxAt, n.count, n.max = f, s.Time, c.Count, c.Max
	}
	if c.Stats == nil {
		return
	}
	cur := c.Stats.Dropped()
	switch {
	case !n.havePrev:
	case cur >= n.prev:
		n.drops += cur - n.prev
	default:
		n.drops += cur
	}
	n.prev, n.havePrev = cur, true
}

// ConntrackDrops is the sum over nodes of the increase of drop +
// early_drop + insert_failed between their first and last sample.
func (d *Datapath) ConntrackDrops() uint64 {
	var sum uint64
	for _, n := range d.nodes {
		sum += n.drops
	}
	return sum
}

// ConntrackMaxFill is the highest count/max ratio seen on any node.
func (d *Datapath) ConntrackMaxFill() float64 {
	var m float64
	for _, n := range d.nodes {
		if n.maxFill > m {
			m = n.maxFill
		}
	}
	return m
}

// Sampled reports whether any node had conntrack values.
func (d *Datapath) Sampled() bool { return len(d.nodes) > 0 }

// Values returns the derived values by metric name, for checks; empty when
// nothing was sampled (a check without data must not pass).
func (d *Datapath) Values() map[string]float64 {
	if !d.Sampled() {
		return map[string]float64{}
	}
	return map[string]float64{
		MetricConntrackDrops:   float64(d.ConntrackDrops()),
		MetricConntrackMaxFill: d.ConntrackMaxFill(),
	}
}

// NodeDatapath is one node's derived values.
type NodeDatapath struct {
	Node string `json:"node"`
	// Drops is the node's increase of drop + early_drop + insert_failed.
	Drops uint64 `json:"drops"`
	// MaxFill is the node's highest count/max, seen at MaxFillAt with
	// Count entries of Max.
	MaxFill   float64   `json:"maxFill"`
	MaxFillAt time.Time `json:"maxFillAt"`
	Count     int64     `json:"count"`
	Max       int64     `json:"max"`
}

// Nodes returns every node's derived values, sorted by node name.
func (d *Datapath) Nodes() []NodeDatapath {
	out := make([]NodeDatapath, 0, len(d.nodes))
	for name, n := range d.nodes {
		out = append(out, NodeDatapath{Node: name, Drops: n.drops, MaxFill: n.maxFill, MaxFillAt: n.maxAt, Count: n.count, Max: n.max})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}
