// Package promexport serves a run's live metrics in the Prometheus
// exposition format while it goes on: requests, failures and latency as
// they arrive, the requests in flight, the load's phase and target rate,
// the faults applied, and the datapath values the samplers read; and it
// pushes them to a Remote-Write endpoint (Pusher). It owns the registry
// and every metric's definition; a run reaches it through run.Observer
// (Exporter.Observe).
package promexport

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Label names.
const (
	labelScenario    = "scenario"
	labelRequest     = "request"
	labelCode        = "code"
	labelClass       = "class"
	labelFault       = "fault"
	labelAction      = "action"
	labelNode        = "node"
	labelService     = "service"
	labelState       = "state"
	labelTargetGroup = "target_group"
)

// LatencyBuckets are the classic buckets of drill_request_duration_seconds,
// up to the default request timeout; scrapers that read native histograms
// get exponential buckets instead (factor 1.1).
func LatencyBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
}

// Exporter holds the metrics of every run of one drill process, each
// labelled with its scenario.
type Exporter struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	failures *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	faults   *prometheus.GaugeVec

	conntrackEntries *prometheus.GaugeVec
	conntrackLimit   *prometheus.GaugeVec
	conntrackDropped *prometheus.CounterVec
	endpoints        *prometheus.GaugeVec
	targets          *prometheus.GaugeVec

	load *loadCollector
}

// New returns an Exporter with every metric registered. Every metric has
// the label scenario first.
func New() *Exporter {
	e := &Exporter{
		requests: counterVec("drill_requests_total",
			"Requests answered or failed, by request name and status code (0: no response).", labelRequest, labelCode),
		failures: counterVec("drill_request_failures_total",
			"Requests that failed (no 2xx or 3xx response), by request name, status code and error class.", labelRequest, labelCode, labelClass),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:                           "drill_request_duration_seconds",
			Help:                           "Latency of every request, failed ones included, by request name.",
			Buckets:                        LatencyBuckets(),
			NativeHistogramBucketFactor:    1.1,
			NativeHistogramMaxBucketNumber: 160,
		}, []string{labelScenario, labelRequest}),
		faults: gaugeVec("drill_fault_active",
			"1 from the moment a fault starts being applied until it was recovered, else 0.", labelFault, labelAction),
		conntrackEntries: gaugeVec("drill_conntrack_entries",
			"Entries in a node's conntrack table at its latest sample (nf_conntrack_count).", labelNode),
		conntrackLimit: gaugeVec("drill_conntrack_entries_limit",
			"Size of a node's conntrack table at its latest sample (nf_conntrack_max).", labelNode),
		conntrackDropped: counterVec("drill_conntrack_dropped_total",
			"Connections a node's conntrack table could not take during the run (drop + early_drop + insert_failed).", labelNode),
		endpoints: gaugeVec("drill_endpoints",
			"A Service's endpoints by state: ready, terminating, terminating_serving (of the terminating, those still serving), not_ready.", labelService, labelState),
		targets: gaugeVec("drill_lb_targets",
			"A load balancer target group's targets by health state (healthy, initial, draining, unhealthy, ...).", labelTargetGroup, labelState),
		load: newLoadCollector(),
	}
	e.reg = prometheus.NewRegistry()
	e.reg.MustRegister(e.requests, e.failures, e.latency, e.faults,
		e.conntrackEntries, e.conntrackLimit, e.conntrackDropped, e.endpoints, e.targets, e.load)
	return e
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{labelScenario}, labels...))
}

func gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, append([]string{labelScenario}, labels...))
}

// Handler serves the metrics, in the protobuf format to scrapers that ask
// for it (native histograms) and as text or OpenMetrics otherwise.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}
