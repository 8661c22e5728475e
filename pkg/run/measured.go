package run

import (
	"slices"
	"sort"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/sample"
)

// fill sets on r everything measured so far: summary, events, notes,
// samples and checks; the same assembly serves the provisional reports and
// the final one. report.Judge gives the verdict.
func (st *runState) fill(r *report.Report) {
	summary := st.rec.Summary()
	r.Summary = report.SummaryOf(summary)
	r.Events = st.snapshot()
	st.mu.Lock()
	r.Environment.Notes = append(slices.Clone(st.sys.notes), st.notes...)
	st.mu.Unlock()
	if st.sys.attribution != nil {
		r.Events = append(r.Events, st.sys.attribution.events(st.t0)...)
		sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].T < r.Events[j].T })
	}
	r.Sampled = st.samplers.Values()
	r.Conntrack = conntrackSeries(st.datapath, r.StartedAt)
	r.KubeProxy = kubeProxySeries(st.datapath, r.StartedAt)
	r.Checks = evaluate(st.sc.Exprs(), values{summary, r.Sampled})
}

// conntrackSeries puts each node's conntrack samples on the run's clock.
func conntrackSeries(d *sample.Datapath, start time.Time) []report.ConntrackSeries {
	if d == nil {
		return nil
	}
	series := d.Series()
	out := make([]report.ConntrackSeries, 0, len(series))
	for node, points := range series {
		s := report.ConntrackSeries{Node: node, Points: make([]report.ConntrackPoint, len(points))}
		for i, p := range points {
			s.Points[i] = report.ConntrackPoint{T: p.Time.Sub(start), Count: p.Count, Max: p.Max, Drops: p.Drops, States: p.States}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// kubeProxySeries puts each node's kube-proxy syncs on the run's clock.
func kubeProxySeries(d *sample.Datapath, start time.Time) []report.KubeProxySeries {
	if d == nil {
		return nil
	}
	var out []report.KubeProxySeries
	for node, syncs := range d.KubeProxySyncs() {
		s := report.KubeProxySeries{Node: node, Syncs: make([]time.Duration, len(syncs))}
		for i, t := range syncs {
			s.Syncs[i] = t.Sub(start)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}
