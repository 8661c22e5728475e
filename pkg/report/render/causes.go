package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// maxReasonRows bounds the reasons of unknown a rendering lists.
const maxReasonRows = 10

// causeParts are the causes of the run's failures: a row per cause with
// its explanation, then why the unknown ones are unknown.
func causeParts(c *report.Causes) []part {
	t := newTable("cause", "failed", "share", "what to change").alignRight(1, 2)
	var reasons []report.ErrorCount
	for _, cc := range c.Total {
		t.add(cc.Cause, fmt.Sprint(cc.Count), human.Share(float64(cc.Count)/float64(max(c.Failures, 1))), cc.Explanation)
		reasons = append(reasons, cc.Reasons...)
	}
	parts := []part{{table: t}}
	text := []string{fmt.Sprintf("%s of %d failed requests have a known cause; joined with: %s.", human.Share(c.Known()), c.Failures, orNothing(c.Sources))}
	for i, r := range reasons {
		if i == maxReasonRows {
			text = append(text, fmt.Sprintf("%d more reasons are in report.json.", len(reasons)-maxReasonRows))
			break
		}
		text = append(text, fmt.Sprintf("unknown ×%d: %s", r.Count, r.Message))
	}
	return append(parts, part{text: text})
}

func orNothing(l []string) string {
	if len(l) == 0 {
		return "nothing (no timeline)"
	}
	return strings.Join(l, ", ")
}

// burstCauses is the causes cell of a burst's row: "deregistration-lag 40,
// connection-reuse 3".
func burstCauses(c *report.Causes, b report.Burst) string {
	if c == nil {
		return ""
	}
	for _, bc := range c.Bursts {
		if bc.StartT != b.StartT || bc.EndT != b.EndT {
			continue
		}
		var parts []string
		for _, cc := range bc.Causes {
			parts = append(parts, fmt.Sprintf("%s %d", cc.Cause, cc.Count))
		}
		return strings.Join(parts, ", ")
	}
	return ""
}

// lifecycleParts are the lifecycle timings of the run, then each pod's.
func lifecycleParts(lc *report.Lifecycle) []part {
	t := newTable("timing", "count", "p50", "max").alignRight(1, 2, 3)
	for _, tm := range lc.Timings {
		t.add(tm.Name, fmt.Sprint(tm.Count), human.Duration(tm.P50), human.Duration(tm.Max))
	}
	parts := []part{{table: t}}
	pt := newTable("pod", "node", "target", "timings")
	for _, p := range lc.Pods {
		keys := make([]string, 0, len(p.Timings))
		for k := range p.Timings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var cells []string
		for _, k := range keys {
			cells = append(cells, k+" "+human.Duration(p.Timings[k]))
		}
		pt.add(p.Pod, p.Node, p.Target, strings.Join(cells, ", "))
	}
	return append(parts, part{table: pt})
}
