package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// chartData is what the HTML report's charts draw, second by second on one
// time axis. It goes into the page as JSON (html/template encodes it), and
// the page's script only lays it out: every number is computed here.
type chartData struct {
	Kind string `json:"kind"` // "report"
	// Seconds is the length of the time axis; every per-second list has
	// that many entries.
	Seconds int `json:"seconds"`
	// OK and Failed are each second's succeeded and failed requests.
	OK     []uint64 `json:"ok"`
	Failed []uint64 `json:"failed"`
	// Failures break Failed down by class (a failing status code, or a
	// transport error class).
	Failures []chartSeries `json:"failures"`
	// Latency holds p50, p90 (when the report has it) and p99 per second,
	// in milliseconds; null for a second without requests.
	Latency []chartSeries `json:"latency"`
	// Backends is each backend's share of the second's responses, in percent.
	Backends  []chartSeries `json:"backends,omitempty"`
	Pods      []chartLane   `json:"pods,omitempty"`
	Targets   []chartLane   `json:"targets,omitempty"`
	Conntrack []chartSeries `json:"conntrack,omitempty"`
	Faults    []chartFault  `json:"faults"`
	Bursts    []chartBurst  `json:"bursts"`
}

// chartSeries is one named line or stack layer; nil values are gaps.
type chartSeries struct {
	Label  string     `json:"label"`
	Values []*float64 `json:"values"`
}

// chartLane is one pod's or target's states over the run.
type chartLane struct {
	Name     string         `json:"name"`
	Segments []chartSegment `json:"segments"`
	// Gone is when the pod was deleted or the target left its group.
	Gone *float64 `json:"gone,omitempty"`
}

// chartSegment is a state held from From to To (seconds).
type chartSegment struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	State string  `json:"state"`
}

// chartFault is a fault event: a labelled marker on every chart.
type chartFault struct {
	T      float64 `json:"t"`
	Label  string  `json:"label"`
	Detail string  `json:"detail"`
}

// chartBurst is an error burst: a shaded span on every chart, linked to its
// entry under the charts.
type chartBurst struct {
	StartT   int    `json:"startT"`
	EndT     int    `json:"endT"`
	Failures uint64 `json:"failures"`
	Recovery string `json:"recovery"`
	// Causes is what the report attributes the burst to; empty while the
	// report has no attribution (then Around is all there is).
	Causes []string `json:"causes"`
	// Around are the events from BurstContextBefore before the burst to
	// BurstContextAfter after it (at most maxEventsPerBurst).
	Around []string `json:"around"`
}

// chartDataOf lays out a report for the page's charts; nil when the run has
// no timeline.
func chartDataOf(r *report.Report) *chartData {
	secs := dense(r.Summary.Timeline)
	n := len(secs)
	for _, s := range r.Conntrack {
		for _, p := range s.Points {
			if p.T >= 0 && p.T < maxSeconds*time.Second {
				n = max(n, int(p.T/time.Second)+1)
			}
		}
	}
	if n == 0 {
		return nil
	}
	for len(secs) < n {
		secs = append(secs, report.Second{T: len(secs)})
	}
	events := sortedEvents(r.Events)
	d := &chartData{Kind: "report", Seconds: n, OK: make([]uint64, n), Failed: make([]uint64, n), Faults: []chartFault{}, Bursts: []chartBurst{}}
	for i, s := range secs {
		d.OK[i] = min(s.Successes, s.Requests)
		d.Failed[i] = s.Requests - d.OK[i]
	}
	d.Failures = failureSeries(secs)
	d.Latency = latencySeries(secs)
	d.Backends = backendSeries(secs)
	d.Pods = podLanes(events, float64(n))
	d.Targets = targetLanes(events, float64(n))
	d.Conntrack = conntrackSeries(r.Conntrack, n)
	for _, e := range events {
		if e.Kind == report.EventFault {
			d.Faults = append(d.Faults, chartFault{T: e.T.Seconds(), Label: faultLabel(e), Detail: eventLine(e)})
		}
	}
	around := notSamples(events)
	for i, b := range r.Summary.Bursts {
		if i == maxBurstRows {
			break
		}
		cb := chartBurst{StartT: b.StartT, EndT: b.EndT, Failures: b.Failures, Recovery: "not before the end", Causes: chartBurstCauses(r.Causes, events, b), Around: []string{}}
		if b.Recovery > 0 {
			cb.Recovery = human.Duration(b.Recovery)
		}
		ev := eventsAround(around, b)
		for _, e := range ev[:min(len(ev), maxEventsPerBurst)] {
			cb.Around = append(cb.Around, eventLine(e))
		}
		d.Bursts = append(d.Bursts, cb)
	}
	return d
}

// chartBurstCauses is what the report attributes a burst to: its classified
// causes with counts and what to change, when the document has them
// (causes.md), then the load balancer's per-target attribution (the target
// events "load balancer: N requests failed at target ..." that began within
// the burst or the second before it).
func chartBurstCauses(c *report.Causes, events []report.Event, b report.Burst) []string {
	out := []string{}
	if c != nil {
		for _, bc := range c.Bursts {
			if bc.StartT != b.StartT || bc.EndT != b.EndT {
				continue
			}
			for _, cc := range bc.Causes {
				out = append(out, fmt.Sprintf("%s ×%d: %s", cc.Cause, cc.Count, cc.Explanation))
			}
		}
	}
	from := time.Duration(b.StartT-1) * time.Second
	to := time.Duration(b.EndT) * time.Second
	for _, e := range events {
		if e.Kind == report.EventTarget && strings.HasPrefix(e.Message, report.AttributionPrefix) && e.T >= from && e.T < to {
			out = append(out, fmtOffset(e.T)+" "+e.Message)
		}
	}
	return out
}

// faultLabel is a fault marker's label: the message, with the source when
// the message does not name it.
func faultLabel(e report.Event) string {
	if e.Source == "" || e.Source == "fault" || strings.Contains(e.Message, e.Source) {
		return e.Message
	}
	return e.Source + ": " + e.Message
}

func num(v float64) *float64 { return &v }

// failureSeries splits each second's failures by class: failing status codes
// ("HTTP 502") from the codes, transport errors by their class. When the
// codes do not account for the http class (a scenario's own success
// codes), the class stays whole.
func failureSeries(secs []report.Second) []chartSeries {
	byCode := true
	labels := map[string]bool{}
	for _, s := range secs {
		var coded uint64
		for c, k := range s.Codes {
			if failingCode(c) {
				coded += k
				labels["HTTP "+c] = true
			}
		}
		if coded != s.Errors["http"] {
			byCode = false
		}
		for c := range s.Errors {
			if c != "http" {
				labels[c] = true
			}
		}
	}
	if !byCode {
		for l := range labels {
			if strings.HasPrefix(l, "HTTP ") {
				delete(labels, l)
			}
		}
		for _, s := range secs {
			if s.Errors["http"] > 0 {
				labels["HTTP error"] = true
				break
			}
		}
	}
	order := sortedKeys(labels)
	out := make([]chartSeries, 0, len(order))
	for _, l := range order {
		cs := chartSeries{Label: l, Values: make([]*float64, len(secs))}
		for i, s := range secs {
			var v uint64
			switch {
			case l == "HTTP error":
				v = s.Errors["http"]
			case strings.HasPrefix(l, "HTTP "):
				v = s.Codes[strings.TrimPrefix(l, "HTTP ")]
			default:
				v = s.Errors[l]
			}
			cs.Values[i] = num(float64(v))
		}
		out = append(out, cs)
	}
	return out
}

// failingCode tells a status code that is a failure by the default rule
// (anything but 2xx and 3xx; "0" is no response, counted by its class).
func failingCode(c string) bool {
	n, err := strconv.Atoi(c)
	return err == nil && n != 0 && (n < 200 || n >= 400)
}

func latencySeries(secs []report.Second) []chartSeries {
	hasP90 := false
	for _, s := range secs {
		hasP90 = hasP90 || s.P90 > 0
	}
	qs := []struct {
		label string
		of    func(report.Second) time.Duration
	}{
		{"p50", func(s report.Second) time.Duration { return s.P50 }},
		{"p90", func(s report.Second) time.Duration { return s.P90 }},
		{"p99", func(s report.Second) time.Duration { return s.P99 }},
	}
	var out []chartSeries
	for _, q := range qs {
		if q.label == "p90" && !hasP90 {
			continue
		}
		cs := chartSeries{Label: q.label, Values: make([]*float64, len(secs))}
		for i, s := range secs {
			if s.Requests > 0 {
				cs.Values[i] = num(float64(q.of(s)) / float64(time.Millisecond))
			}
		}
		out = append(out, cs)
	}
	return out
}

// backendSeries is each backend's share of every second's responses, in the
// order backends first answered (the backend table's columns); nil when
// fewer than two answered.
func backendSeries(secs []report.Second) []chartSeries {
	order := backendOrder(secs)
	if len(order) < 2 {
		return nil
	}
	shown, others := order, ""
	if len(order) > maxBackendColumns {
		shown, others = order[:maxBackendColumns-1], fmt.Sprintf("%d others", len(order)-maxBackendColumns+1)
	}
	col := map[string]int{}
	for i, b := range shown {
		col[b] = i
	}
	out := make([]chartSeries, len(shown))
	for i, b := range shown {
		out[i] = chartSeries{Label: b, Values: make([]*float64, len(secs))}
	}
	if others != "" {
		out = append(out, chartSeries{Label: others, Values: make([]*float64, len(secs))})
	}
	for t, s := range secs {
		var total uint64
		for _, k := range s.Backends {
			total += k
		}
		if total == 0 {
			continue
		}
		counts := make([]uint64, len(out))
		for b, k := range s.Backends {
			if c, ok := col[b]; ok {
				counts[c] += k
			} else {
				counts[len(counts)-1] += k
			}
		}
		for i, k := range counts {
			out[i].Values[t] = num(100 * float64(k) / float64(total))
		}
	}
	return out
}

// conntrackSeries is each node's table fill in percent, the fullest sample
// of every second; null for seconds without a sample.
func conntrackSeries(series []report.ConntrackSeries, n int) []chartSeries {
	var out []chartSeries
	for _, s := range series {
		cs := chartSeries{Label: s.Node, Values: make([]*float64, n)}
		for _, p := range s.Points {
			i := int(p.T / time.Second)
			if p.T < 0 || i >= n || p.Max <= 0 {
				continue
			}
			fill := 100 * float64(p.Count) / float64(p.Max)
			if cs.Values[i] == nil || *cs.Values[i] < fill {
				cs.Values[i] = num(fill)
			}
		}
		out = append(out, cs)
	}
	return out
}

// laneBuilder follows named things (pods, targets) from state to state.
type laneBuilder struct {
	lanes []*chartLane
	byKey map[string]*chartLane
	state map[string]string
	since map[string]float64
}

func newLaneBuilder() *laneBuilder {
	return &laneBuilder{byKey: map[string]*chartLane{}, state: map[string]string{}, since: map[string]float64{}}
}

// set moves name into state at t; an empty state means gone. initial is
// the state it was in before t when this is the first seen of it ("" when
// it did not exist).
func (lb *laneBuilder) set(name string, t float64, state, initial string) {
	l := lb.byKey[name]
	if l == nil {
		l = &chartLane{Name: name, Segments: []chartSegment{}}
		lb.byKey[name] = l
		lb.lanes = append(lb.lanes, l)
		if initial != "" {
			lb.state[name], lb.since[name] = initial, 0
		}
	}
	if cur := lb.state[name]; cur != "" {
		if cur == state {
			return
		}
		l.Segments = append(l.Segments, chartSegment{From: lb.since[name], To: t, State: cur})
	}
	lb.state[name], lb.since[name] = state, t
	if state == "" {
		l.Gone = num(t)
	}
}

func (lb *laneBuilder) done(end float64) []chartLane {
	out := make([]chartLane, 0, len(lb.lanes))
	for _, l := range lb.lanes {
		if cur := lb.state[l.Name]; cur != "" {
			l.Segments = append(l.Segments, chartSegment{From: lb.since[l.Name], To: max(end, lb.since[l.Name]), State: cur})
		}
		out = append(out, *l)
	}
	sort.SliceStable(out, func(i, j int) bool { return laneStart(out[i]) < laneStart(out[j]) })
	return out
}

func laneStart(l chartLane) float64 {
	if len(l.Segments) == 0 {
		return 0
	}
	return l.Segments[0].From
}

// Pod lane states.
const (
	podCreated     = "created"
	podReady       = "Ready"
	podNotReady    = "not Ready"
	podTerminating = "terminating"
)

// podLanes follows every pod the run saw change: created, Ready (or not),
// terminating, gone. A pod first seen doing something else than being
// created existed before the run and is taken as Ready until then.
func podLanes(events []report.Event, end float64) []chartLane {
	lb := newLaneBuilder()
	for _, e := range events {
		if e.Kind != report.EventPod || e.Source == "" {
			continue
		}
		change, _, _ := strings.Cut(strings.TrimPrefix(e.Message, "pod "+e.Source+" "), " ")
		initial := podReady
		var state string
		switch change {
		case "created":
			state, initial = podCreated, ""
		case "ready":
			state, initial = podReady, podCreated
		case "not-ready":
			state = podNotReady
		case "terminating":
			state = podTerminating
		case "deleted":
			state = ""
		default:
			continue
		}
		if lb.state[e.Source] == podTerminating && state != "" {
			state = podTerminating // readiness changes while it terminates
		}
		lb.set(e.Source, e.T.Seconds(), state, initial)
	}
	return lb.done(end)
}

// targetLanes follows every load balancer target through its health states
// (initial, healthy, unhealthy, draining, unused) until it leaves its group.
func targetLanes(events []report.Event, end float64) []chartLane {
	lb := newLaneBuilder()
	for _, e := range events {
		if e.Kind != report.EventTarget {
			continue
		}
		name, from, to, ok := targetTransition(e)
		if !ok {
			continue
		}
		if to == "none" {
			to = ""
		}
		if from == "none" {
			from = ""
		}
		lb.set(name, e.T.Seconds(), to, from)
	}
	return lb.done(end)
}

// targetTransition reads a target health event: "target T in G: from → to
// (reason)" with the target as its source, or (older reports) "target to"
// with the target in the fields.
func targetTransition(e report.Event) (name, from, to string, ok bool) {
	name = e.Source
	if t := e.Fields["target"]; t != "" {
		name = t
	}
	if head, tail, found := strings.Cut(e.Message, " → "); found {
		to, _, _ = strings.Cut(tail, " ")
		from = head[strings.LastIndex(head, " ")+1:]
		return name, from, to, to != ""
	}
	if rest, found := strings.CutPrefix(e.Message, "target "); found {
		to, _, _ = strings.Cut(rest, " ")
		return name, "", to, to != ""
	}
	return "", "", "", false
}
