package cause

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// Causes are the causes of the failures added so far, overall and for
// each burst of bursts (the summary's); nil when nothing failed. lc gives
// the measured lags the explanations quote (nil: none measured).
func (c *Classifier) Causes(bursts []report.Burst, lc *report.Lifecycle) *report.Causes {
	if c.failures == 0 {
		return nil
	}
	out := &report.Causes{Failures: c.failures, Sources: c.x.Sources()}
	ex := explainer{lc: lc, x: c.x, reasons: c.topReasons()}
	out.Total = ex.counts(c.total)
	for _, b := range bursts {
		var sum [nCauses]uint64
		var n uint64
		for s := max(b.StartT, 0); s < b.EndT && s < len(c.seconds); s++ {
			for i, v := range c.seconds[s] {
				sum[i] += v
				n += v
			}
		}
		out.Bursts = append(out.Bursts, report.BurstCauses{StartT: b.StartT, EndT: b.EndT, Failures: n, Causes: ex.counts(sum)})
	}
	return out
}

// topReasons are the reasons of unknown, most frequent first.
func (c *Classifier) topReasons() []report.ErrorCount {
	out := make([]report.ErrorCount, 0, len(c.reasons))
	for r, n := range c.reasons {
		out = append(out, report.ErrorCount{Message: r, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// explainer writes the one-line explanation of each cause.
type explainer struct {
	lc      *report.Lifecycle
	x       *Index
	reasons []report.ErrorCount
}

func (e explainer) counts(n [nCauses]uint64) []report.CauseCount {
	var out []report.CauseCount
	for i, name := range report.CauseNames() {
		if n[i] == 0 {
			continue
		}
		cc := report.CauseCount{Cause: name, Count: n[i], Explanation: e.explain(name)}
		if name == report.CauseUnknown {
			cc.Reasons = e.reasons
		}
		out = append(out, cc)
	}
	return out
}

// timing is the lifecycle timing called name, if measured.
func (e explainer) timing(name string) (report.Timing, bool) {
	if e.lc != nil {
		for _, t := range e.lc.Timings {
			if t.Name == name && t.Count > 0 {
				return t, true
			}
		}
	}
	return report.Timing{}, false
}

// seconds rounds d up to whole seconds, at least 1.
func seconds(d time.Duration) int { return max(int(math.Ceil(d.Seconds())), 1) }

func (e explainer) explain(cause string) string {
	switch cause {
	case report.CauseBeforeReady:
		msg := "requests reached pods or targets not yet serving: gate the rollout on the load balancer (setup.readinessGates, the pod readiness gate) and keep old pods until new ones are healthy (maxUnavailable: 0, minReadySeconds"
		if t, ok := e.timing(report.TimingRegistrationLag); ok {
			return msg + fmt.Sprintf(" >= %d s, the registration lag's max)", seconds(t.Max))
		}
		return msg + " above the time to healthy)"
	case report.CauseDeregistrationLag:
		if t, ok := e.timing(report.TimingDeregistrationLag); ok {
			preStop := "preStop sleep"
			if p, ok := e.timing(report.TimingPreStopDuration); ok {
				preStop = fmt.Sprintf("preStop (measured up to %.1f s)", p.Max.Seconds())
			}
			return fmt.Sprintf("the load balancer still routed to pods after they began terminating (deregistration lag up to %.1f s): %s shorter than the deregistration propagation; set lifecycle.preStop sleep >= %d s (and terminationGracePeriodSeconds above it)",
				t.Max.Seconds(), preStop, seconds(t.Max)+1)
		}
		return "the load balancer still routed to pods after they began terminating: set lifecycle.preStop sleep longer than the load balancer's deregistration propagation (sample.loadBalancer measures it; 15 s is usual) and terminationGracePeriodSeconds above it"
	case report.CauseConnectionReuse:
		return "kept-alive connections still led to pods that had gone away: keep pods serving after SIGTERM until their connections are closed (lifecycle.preStop sleep, close keep-alive connections while draining), or move traffic with weighted target groups instead of a Service selector, or flush the Service port's conntrack entries before retiring the old pods"
	case report.CauseEndpointPropagation:
		if t, ok := e.timing(report.TimingKubeProxySyncLag); ok {
			return fmt.Sprintf("kube-proxy still sent new connections to endpoints already removed (sync lag up to %.1f s): set lifecycle.preStop sleep >= %d s so pods serve until every node has synced", t.Max.Seconds(), seconds(t.Max)+1)
		}
		return "kube-proxy still sent new connections to endpoints already removed: set lifecycle.preStop sleep longer than kube-proxy's sync on every node (sample.nodes measures it)"
	case report.CauseDatapathDrop:
		return "the nodes' conntrack tables dropped new connections (drop, early_drop, insert_failed): raise nf_conntrack_max (kube-proxy conntrack.maxPerCore, target.lab.hostConntrackMax) or shorten conntrack timeouts (target.lab.conntrackTimeouts tcpTimeWait)"
	case report.CauseAppError:
		return "the application itself answered 5xx: see its logs; nothing on the load balancer's path failed"
	}
	var why []string
	for i, r := range e.reasons {
		if i == 2 {
			break
		}
		why = append(why, fmt.Sprintf("%s (%d)", r.Message, r.Count))
	}
	if len(why) == 0 {
		return "no cause found"
	}
	return "no cause found: " + strings.Join(why, "; ")
}
