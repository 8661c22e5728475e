package cause

import (
	"slices"
	"sort"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// Lifecycle measures the pods' and targets' lifecycle timings from the
// timeline, and from the responses added so far (the last one each pod
// served); nil when nothing could be measured.
func (c *Classifier) Lifecycle() *report.Lifecycle {
	x := c.x
	byName := map[string][]time.Duration{}
	var pods []report.PodLifecycle
	names := make([]string, 0, len(x.pods))
	for n := range x.pods {
		names = append(names, n)
	}
	sort.Strings(names)
	nodes := make([]string, 0, len(x.syncs))
	for n := range x.syncs {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	for _, n := range names {
		p := x.pods[n]
		pl := report.PodLifecycle{Pod: p.name, IP: p.ip, Node: p.node, Timings: map[string]time.Duration{}}
		set := func(name, key string, d time.Duration) {
			pl.Timings[key] = d
			byName[name] = append(byName[name], d)
		}
		if p.ip != "" {
			for _, key := range x.byID[p.ip] {
				pl.Target = key
				if p.ready != none {
					if h, ok := x.firstTo(key, p.firstSeen, StateHealthy); ok {
						set(report.TimingRegistrationLag, report.TimingRegistrationLag, h-p.ready)
					}
				}
				if p.terminating != none {
					if d, ok := x.firstTo(key, p.terminating, StateDraining, StateUnused, ""); ok {
						set(report.TimingDeregistrationLag, report.TimingDeregistrationLag, d-p.terminating)
					}
				}
				break
			}
		}
		if p.terminating != none {
			if last, ok := c.served[p.name]; ok {
				set(report.TimingServedAfterDeletion, report.TimingServedAfterDeletion, last-p.terminating)
			}
			removed := p.terminating
			if p.removed != none {
				removed = p.removed
			}
			for _, node := range nodes {
				if s, ok := x.firstSyncAfter(node, removed); ok {
					set(report.TimingKubeProxySyncLag, report.TimingKubeProxySyncLag+"/"+node, s-removed)
				}
			}
			if d, ok := p.preStopDuration(); ok {
				set(report.TimingPreStopDuration, report.TimingPreStopDuration, d)
			}
			if d, ok := p.sigtermToExit(); ok {
				set(report.TimingSigtermToExit, report.TimingSigtermToExit, d)
			}
			if p.deleted != none {
				set(report.TimingShutdown, report.TimingShutdown, p.deleted-p.terminating)
			}
		}
		if len(pl.Timings) > 0 {
			pods = append(pods, pl)
		}
	}
	if len(pods) == 0 {
		return nil
	}
	lc := &report.Lifecycle{Pods: pods}
	for _, name := range report.TimingNames() {
		if l := byName[name]; len(l) > 0 {
			slices.Sort(l)
			lc.Timings = append(lc.Timings, report.Timing{Name: name, Count: len(l), P50: l[(len(l)-1)/2], Max: l[len(l)-1]})
		}
	}
	return lc
}

// Metric suffixes of the lifecycle timings' check metrics.
const (
	SuffixP50 = "_p50"
	SuffixMax = "_max"
)

// Values are the check metrics of lc, in seconds: <timing>_p50 and
// <timing>_max of every timing measured.
func Values(lc *report.Lifecycle) map[string]float64 {
	out := map[string]float64{}
	if lc == nil {
		return out
	}
	for _, t := range lc.Timings {
		out[t.Name+SuffixP50] = t.P50.Seconds()
		out[t.Name+SuffixMax] = t.Max.Seconds()
	}
	return out
}

// Apply sets on r what c found: its lifecycle timings, the causes of its
// failures (per burst of r.Summary.Bursts) and the timings' check metrics
// in r.Sampled. Checks are judged by the caller.
func Apply(r *report.Report, c *Classifier) {
	r.Lifecycle = c.Lifecycle()
	r.Causes = c.Causes(r.Summary.Bursts, r.Lifecycle)
	for k, v := range Values(r.Lifecycle) {
		if r.Sampled == nil {
			r.Sampled = map[string]float64{}
		}
		r.Sampled[k] = v
	}
}
