package promexport

import (
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
)

// loadCollector reads, at each scrape, what the runs' loads are doing:
// the requests in flight, the phase and the rate the schedule calls for.
type loadCollector struct {
	inFlight, phase, rate *prometheus.Desc

	mu    sync.Mutex
	loads map[string]*loadState // by scenario
}

// loadState is one run's load, from its start.
type loadState struct {
	t0       time.Time
	schedule *load.PhasePacer
	inflight *metric.InFlight
	ended    bool
}

func newLoadCollector() *loadCollector {
	labels := []string{labelScenario}
	return &loadCollector{
		inFlight: prometheus.NewDesc("drill_requests_in_flight", "Requests sent and not yet answered.", labels, nil),
		phase:    prometheus.NewDesc("drill_load_phase", "The load phase under way, from 1; 0 before and after the load.", labels, nil),
		rate:     prometheus.NewDesc("drill_load_target_requests_per_second", "The request rate the load's schedule calls for now; 0 before and after the load, and for an unlimited rate.", labels, nil),
		loads:    map[string]*loadState{},
	}
}

func (c *loadCollector) started(scenario string, s *loadState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loads[scenario] = s
}

func (c *loadCollector) ended(scenario string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.loads[scenario]; s != nil {
		s.ended = true
	}
}

// Describe implements prometheus.Collector.
func (c *loadCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inFlight
	ch <- c.phase
	ch <- c.rate
}

// Collect implements prometheus.Collector.
func (c *loadCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.loads))
	for name := range c.loads {
		names = append(names, name)
	}
	sort.Strings(names)
	now := time.Now()
	for _, name := range names {
		s := c.loads[name]
		var phase, rate float64
		if !s.ended {
			at := now.Sub(s.t0)
			phase, rate = float64(s.schedule.Phase(at)), s.schedule.Rate(at)
		}
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.GaugeValue, float64(s.inflight.State().InFlight), name)
		ch <- prometheus.MustNewConstMetric(c.phase, prometheus.GaugeValue, phase, name)
		ch <- prometheus.MustNewConstMetric(c.rate, prometheus.GaugeValue, rate, name)
	}
}
