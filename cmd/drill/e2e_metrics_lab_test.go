//go:build lab

package main

import (
	"testing"

	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/promexport/promtest"
)

// TestMetricsOfALabRun scrapes a lab run with a fault and every sampler:
// the fault's gauge while it is applied, the Service's endpoints, the
// load balancer's targets and each node's conntrack table are served.
func TestMetricsOfALabRun(t *testing.T) {
	labtest.Require(t)
	file := webScenario(t, "lab-metrics", `target: {lab: {nodes: 1}}
load: {rate: 20/s, duration: 25s}
faults:
  - at: 3s
    podKill: {selector: app=web, count: 1}
sample: {nodes: [conntrack], loadBalancer: true, interval: 1s}
`)
	m := startWithMetrics(t, file, "--lab-name", runLabName(t))
	sc := map[string]string{"scenario": "lab-metrics"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{"scenario": "lab-metrics"}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, w := range []struct {
		name   string
		labels map[string]string
	}{
		{"drill_fault_active", with(map[string]string{"action": "podKill"})},
		{"drill_endpoints", with(map[string]string{"service": "web", "state": "ready"})},
		{"drill_lb_targets", with(map[string]string{"state": "healthy"})},
		{"drill_conntrack_entries_limit", sc},
		{"drill_conntrack_entries", sc},
		{"drill_requests_total", sc},
	} {
		scrapeUntil(t, m.url, w.name+" above 0", func(f promtest.Families) bool {
			v, _ := f.Sum(w.name, w.labels)
			return v > 0
		})
	}
	m.wait(t)
}
