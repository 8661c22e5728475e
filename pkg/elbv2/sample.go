package elbv2

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Sample is the health of one target group's targets at one moment.
type Sample struct {
	Time        time.Time      `json:"time"`
	TargetGroup string         `json:"targetGroup"` // name
	ARN         string         `json:"arn"`
	Targets     []TargetHealth `json:"targets"`
	// Counts is the number of targets per state (healthy, draining, ...).
	Counts map[string]int `json:"counts"`
	// Err is set when the group could not be read at this moment.
	Err string `json:"error,omitempty"`
}

// Transition is a target's state change seen between two samples: a
// timeline event. From is empty for a target that appeared, To for one that
// disappeared.
type Transition struct {
	Time        time.Time `json:"time"`
	TargetGroup string    `json:"targetGroup"`
	Target      string    `json:"target"` // id:port
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	Reason      string    `json:"reason,omitempty"`
}

// SampleOnce reads every group's target health now.
func (c *Client) SampleOnce(ctx context.Context, groups []TargetGroup) []Sample {
	out := make([]Sample, 0, len(groups))
	for _, g := range groups {
		s := Sample{Time: time.Now().UTC(), TargetGroup: g.Name, ARN: g.ARN, Counts: map[string]int{}}
		th, err := c.TargetHealthOf(ctx, g.ARN)
		if err != nil {
			s.Err = err.Error()
		}
		s.Targets = th
		for _, t := range th {
			s.Counts[t.State]++
		}
		out = append(out, s)
	}
	return out
}

// Diff returns the transitions from prev to next (samples of one group).
func Diff(prev, next Sample) []Transition {
	before := map[string]TargetHealth{}
	for _, t := range prev.Targets {
		before[t.Key()] = t
	}
	var out []Transition
	seen := map[string]bool{}
	for _, t := range next.Targets {
		seen[t.Key()] = true
		if b, ok := before[t.Key()]; !ok || b.State != t.State {
			out = append(out, Transition{Time: next.Time, TargetGroup: next.TargetGroup, Target: t.Key(), From: before[t.Key()].State, To: t.State, Reason: t.Reason})
		}
	}
	for k, b := range before {
		if !seen[k] {
			out = append(out, Transition{Time: next.Time, TargetGroup: next.TargetGroup, Target: k, From: b.State})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}

// Watch samples the groups every interval until ctx ends, calling onSample
// with each sample and onChange with the transitions since the previous
// sample of that group (the first sample reports every target as appearing).
// A failed read is reported in Sample.Err and produces no transitions.
// Either callback may be nil. Watch returns nil when ctx ends.
func (c *Client) Watch(ctx context.Context, groups []TargetGroup, interval time.Duration, onSample func(Sample), onChange func(Transition)) error {
	if interval <= 0 {
		return fmt.Errorf("target health sampling interval %s: must be positive", interval)
	}
	last := map[string]Sample{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for _, s := range c.SampleOnce(ctx, groups) {
			if ctx.Err() != nil {
				return nil
			}
			if onSample != nil {
				onSample(s)
			}
			if s.Err != "" {
				continue
			}
			if onChange != nil {
				for _, t := range Diff(last[s.ARN], s) {
					onChange(t)
				}
			}
			last[s.ARN] = s
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
