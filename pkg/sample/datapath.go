package sample

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drillkit/drill/pkg/agent"
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
// with constant work per sample. It is safe for concurrent use.
type Datapath struct {
	mu    sync.Mutex
	nodes map[string]*nodeTrack
	// syncs are the distinct kube-proxy rule syncs each node's agent
	// reported (kubeproxy_sync_proxy_rules_last_timestamp_seconds), in order.
	syncs map[string][]time.Time
}

type nodeTrack struct {
	prev     uint64 // last drop+early_drop+insert_failed seen
	havePrev bool
	drops    uint64 // increase over the run
	maxFill  float64
	lastFill float64
	maxAt    time.Time
	count    int64
	max      int64
	points   []Point
}

// Point is one sample of a node's conntrack table: its count and limit,
// and the connections it could not take since the previous sample.
type Point struct {
	Time       time.Time
	Count, Max int64
	Drops      uint64
	// States counts the entries by TCP state, when sampled.
	States map[string]int64
}

// NewDatapath returns an empty accumulator.
func NewDatapath() *Datapath {
	return &Datapath{nodes: map[string]*nodeTrack{}, syncs: map[string][]time.Time{}}
}

// maxSyncs bounds the kube-proxy syncs kept per node.
const maxSyncs = 100000

// addSync keeps the node's kube-proxy last sync when it is new.
func (d *Datapath) addSync(s NodeSample) {
	if s.State == nil || !s.State.KubeProxy.Available || s.State.KubeProxy.LastSync == nil {
		return
	}
	t := *s.State.KubeProxy.LastSync
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.syncs[s.Node]
	if len(l) >= maxSyncs || (len(l) > 0 && !t.After(l[len(l)-1])) {
		return
	}
	d.syncs[s.Node] = append(l, t)
}

// KubeProxySyncs returns, by node, the times kube-proxy last synced its
// rules as each sample found them: every sync that was the last one at
// some sample, in order.
func (d *Datapath) KubeProxySyncs() map[string][]time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string][]time.Time, len(d.syncs))
	for n, l := range d.syncs {
		out[n] = slices.Clone(l)
	}
	return out
}

// fillMarks are the table fills whose upward crossing Add reports.
func fillMarks() []float64 { return []float64{0.5, 0.9, 1} }

// Add takes one node sample into account and returns what changed that
// belongs on the run's timeline, or "": connections the table dropped
// since the node's previous sample, and the table's fill crossing 50%,
// 90% or 100% upwards. Samples without a state, or without conntrack
// statistics, add nothing to the drops. A counter that goes down (the
// node's network namespace was recreated) starts again from its new value.
func (d *Datapath) Add(s NodeSample) string {
	d.addSync(s)
	if s.State == nil || !s.State.Conntrack.Available {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.nodes[s.Node]
	first := n == nil
	if first {
		n = &nodeTrack{}
		d.nodes[s.Node] = n
	}
	c := s.State.Conntrack
	var notes []string
	f := c.Fill()
	if !first {
		for _, m := range fillMarks() {
			if n.lastFill < m && f >= m {
				notes = append(notes, fmt.Sprintf("conntrack table %.0f%% full (%d of %d)", 100*f, c.Count, c.Max))
				break
			}
		}
	}
	if first && len(c.Timeouts) > 0 {
		var ts []string
		for _, k := range agent.TimeoutNames() {
			if v, ok := c.Timeouts[k]; ok {
				ts = append(ts, fmt.Sprintf("%s %ds", strings.NewReplacer("tcp_timeout_", "", "_timeout", "").Replace(k), v))
			}
		}
		notes = append(notes, "conntrack timeouts "+strings.Join(ts, ", "))
	}
	n.lastFill = f
	if f > n.maxFill || n.maxAt.IsZero() {
		n.maxFill, n.maxAt, n.count, n.max = f, s.Time, c.Count, c.Max
	}
	var delta uint64
	if c.Stats != nil {
		cur := c.Stats.Dropped()
		switch {
		case !n.havePrev:
		case cur >= n.prev:
			delta = cur - n.prev
		default:
			delta = cur
		}
		if delta > 0 {
			n.drops += delta
			notes = append(notes, fmt.Sprintf("conntrack could not take %d new connections (drop + early_drop + insert_failed)", delta))
		}
		n.prev, n.havePrev = cur, true
	}
	n.points = append(n.points, Point{Time: s.Time, Count: c.Count, Max: c.Max, Drops: delta, States: c.States})
	if len(notes) == 0 {
		return ""
	}
	return s.Node + ": " + strings.Join(notes, "; ")
}

// last is the latest sample of node.
func (d *Datapath) last(node string) (Point, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := d.nodes[node]; n != nil && len(n.points) > 0 {
		return n.points[len(n.points)-1], true
	}
	return Point{}, false
}

// ConntrackDrops is the sum over nodes of the increase of drop +
// early_drop + insert_failed between their first and last sample.
func (d *Datapath) ConntrackDrops() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var sum uint64
	for _, n := range d.nodes {
		sum += n.drops
	}
	return sum
}

// ConntrackMaxFill is the highest count/max ratio seen on any node.
func (d *Datapath) ConntrackMaxFill() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var m float64
	for _, n := range d.nodes {
		if n.maxFill > m {
			m = n.maxFill
		}
	}
	return m
}

// Sampled reports whether any node had conntrack values.
func (d *Datapath) Sampled() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.nodes) > 0
}

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

// Series returns every node's samples in order, by node name.
func (d *Datapath) Series() map[string][]Point {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string][]Point, len(d.nodes))
	for name, n := range d.nodes {
		out[name] = slices.Clone(n.points)
	}
	return out
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
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]NodeDatapath, 0, len(d.nodes))
	for name, n := range d.nodes {
		out = append(out, NodeDatapath{Node: name, Drops: n.drops, MaxFill: n.maxFill, MaxFillAt: n.maxAt, Count: n.count, Max: n.max})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}
