// Package report holds the result of a drill run: the versioned JSON
// document drill.report/v1 (the source of truth), its verdict, score and
// exit code. Package render turns it into tables, Markdown, JUnit XML or
// HTML; package compare compares runs with a statistical verdict per metric.
package report

import (
	"time"

	"github.com/drillkit/drill/pkg/redact"
)

// Schema is the version of the report format this package writes and reads.
// Additive changes keep it; anything that changes the meaning of a field
// gets a new version.
const Schema = "drill.report/v1"

// Status is the outcome of a run.
type Status string

// Run outcomes.
const (
	// StatusPassed means the run completed and every check passed.
	StatusPassed Status = "passed"
	// StatusFailed means the run completed and at least one check failed.
	StatusFailed Status = "failed"
	// StatusAborted means an abortWhen condition stopped the run early.
	StatusAborted Status = "aborted"
	// StatusError means the run could not be carried out (setup failed,
	// target unreachable, interrupted); the report may be incomplete.
	StatusError Status = "error"
	// StatusUnjudged means the run completed but had no checks: nothing
	// was judged, so it neither passed nor failed.
	StatusUnjudged Status = "unjudged"
)

// Report is everything known about one run. Every rendering is made from
// it, so saved reports can be rendered and compared offline.
type Report struct {
	// Schema is always the Schema constant for reports this package writes.
	Schema       string `json:"schema"`
	DrillVersion string `json:"drillVersion"`

	Scenario ScenarioInfo `json:"scenario"`
	Target   Target       `json:"target"`
	// Variant labels one combination of a scenario's matrix, e.g.
	// "proxyMode=ipvs preStopSleep=30s"; empty for a scenario without matrix.
	Variant string `json:"variant,omitempty"`

	StartedAt time.Time `json:"startedAt"`
	EndedAt   time.Time `json:"endedAt"`
	// Planned is how long the scenario meant the run to last; zero when
	// unknown (reports of older drill versions).
	Planned time.Duration `json:"plannedNs,omitempty"`
	// RequireChecks records that the run was asked to fail without checks
	// (drill run --require-checks).
	RequireChecks bool `json:"requireChecks,omitempty"`

	Status Status `json:"status"`
	// Incomplete is set when the run did not cover its planned duration or
	// lost data; IncompleteReason says why.
	Incomplete       bool   `json:"incomplete,omitempty"`
	IncompleteReason string `json:"incompleteReason,omitempty"`
	// ExitCode is the process exit code drill returned for this run.
	ExitCode int `json:"exitCode"`

	Summary Summary `json:"summary"`
	// Sampled holds the check metrics that come from the samplers rather
	// than the load (conntrack_drops, conntrack_max_fill), when sampled.
	Sampled map[string]float64 `json:"sampled,omitempty"`
	// Conntrack is every sampled node's conntrack table over the run.
	Conntrack []ConntrackSeries `json:"conntrack,omitempty"`
	// KubeProxy is every sampled node's kube-proxy rule syncs.
	KubeProxy []KubeProxySeries `json:"kubeProxy,omitempty"`
	// Causes says why the failed requests failed, when the run had
	// failures and its results could be read.
	Causes *Causes `json:"causes,omitempty"`
	// Lifecycle holds the pods' and targets' lifecycle timings, when the
	// timeline had any.
	Lifecycle *Lifecycle    `json:"lifecycle,omitempty"`
	Checks    []CheckResult `json:"checks"`
	// BaselineChecks are the scenario's checks with a threshold relative
	// to a baseline run ("p99 <= +10%"), as written; a run does not judge
	// them, drill compare does, against its baseline.
	BaselineChecks []string     `json:"baselineChecks,omitempty"`
	Abort          *AbortResult `json:"abort,omitempty"`
	Score          Score        `json:"score"`
	// Events is the run's timeline (faults, pod and endpoint changes, target
	// health, samples, notes) in time order.
	Events      []Event     `json:"events"`
	Environment Environment `json:"environment"`
	// Trials summarises each trial of a pooled report (see Pool), whose
	// other fields hold the trials together; empty for one run.
	Trials []Trial `json:"trials,omitempty"`
	// ResultsFile is the path of the raw vegeta results, relative to the
	// directory holding the report.
	ResultsFile string `json:"resultsFile,omitempty"`

	// Redactor removes the run's secrets (secret header values) from
	// everything Write and Render produce; the userinfo of URLs goes even
	// when it is nil. It is not stored.
	Redactor *redact.Redactor `json:"-"`
}

// ConntrackSeries is one node's conntrack table, a point per sample.
type ConntrackSeries struct {
	Node   string           `json:"node"`
	Points []ConntrackPoint `json:"points"`
}

// ConntrackPoint is one sample of a node's conntrack table.
type ConntrackPoint struct {
	// T is the sample's offset from the start of the run.
	T     time.Duration `json:"tNs"`
	Count int64         `json:"count"`
	Max   int64         `json:"max"`
	// Drops is how many new connections the table could not take since the
	// node's previous sample (drop + early_drop + insert_failed).
	Drops uint64 `json:"drops"`
	// States counts the entries by TCP state (ESTABLISHED, TIME_WAIT, ...;
	// UDP and OTHER for the rest), when sample.nodes has conntrackStates.
	States map[string]int64 `json:"states,omitempty"`
}

// ScenarioInfo identifies the scenario a run came from.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// File is the scenario file as given on the command line.
	File string `json:"file,omitempty"`
}

// TargetKind is where the system under test lives.
type TargetKind string

// Target kinds.
const (
	TargetURL  TargetKind = "url"
	TargetLab  TargetKind = "lab"
	TargetKube TargetKind = "kube"
)

// Target describes the system under test.
type Target struct {
	Kind TargetKind `json:"kind"`
	// URL is the address load was sent to.
	URL string `json:"url,omitempty"`
	// Details holds kind-specific facts (proxy mode, node count, context,
	// namespace, ALB target type), rendered as key=value in sorted order.
	Details map[string]string `json:"details,omitempty"`
	// Notes are free-form remarks about the target.
	Notes []string `json:"notes,omitempty"`
}

// CheckResult is the outcome of one check of the scenario. The runner
// evaluates the check expression and fills it in; the report only shows it.
type CheckResult struct {
	// Expr is the check as written in the scenario, e.g. "p99 < 500ms".
	Expr string `json:"expr"`
	// Metric, Op and Threshold are the parts of Expr.
	Metric    string `json:"metric"`
	Op        string `json:"op"`
	Threshold string `json:"threshold"`
	// Actual is the measured value formatted like the threshold ("812ms",
	// "99.95%"); ActualValue is the number in the metric's base unit.
	Actual      string  `json:"actual"`
	ActualValue float64 `json:"actualValue"`
	Passed      bool    `json:"passed"`
	// NoData is set when the metric had no data in this run (no request,
	// no backend header); such a check has not passed: a gate that could
	// not measure must not pass.
	NoData  bool   `json:"noData,omitempty"`
	Message string `json:"message,omitempty"`
}

// AbortResult says which abortWhen condition stopped the run and when.
type AbortResult struct {
	Expr string `json:"expr"`
	// AtT is the whole second of the run (offset from its start) at which
	// the condition fired: when the last second of its streak was evaluated,
	// abortGrace after that second ended.
	AtT     int    `json:"atT"`
	Message string `json:"message,omitempty"`
}

// EventKind sorts timeline events.
type EventKind string

// Event kinds.
const (
	EventFault    EventKind = "fault"
	EventPod      EventKind = "pod"
	EventEndpoint EventKind = "endpoint"
	EventTarget   EventKind = "target"
	EventSample   EventKind = "sample"
	EventNote     EventKind = "note"
)

// AttributionPrefix starts the message of a target event that attributes
// failed requests to a load balancer target ("load balancer: 60 requests
// failed at target 198.19.1.2:8080 from t=12.9s to t=17.6s (...)"), the
// lab ALB's request log read per target.
const AttributionPrefix = "load balancer: "

// Event is one thing that happened during the run.
type Event struct {
	// T is the offset from the start of the run.
	T time.Duration `json:"tNs"`
	// Time is the wall-clock time of the event.
	Time time.Time `json:"time"`
	Kind EventKind `json:"kind"`
	// Source names what emitted the event ("rollingUpdate web",
	// "node lab-node-1", "alb tg-web").
	Source  string            `json:"source,omitempty"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// Environment records where and how the run was made.
type Environment struct {
	// Notes lists degradations and deviations that affect how the results
	// read, e.g. "ipvs (emulated: kernel has no ip_vs)".
	Notes []string `json:"notes,omitempty"`
	Host  Host     `json:"host"`
}

// Host describes the machine drill ran on.
type Host struct {
	Hostname  string `json:"hostname,omitempty"`
	OS        string `json:"os,omitempty"`
	Arch      string `json:"arch,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
	CPUs      int    `json:"cpus,omitempty"`
	GoVersion string `json:"goVersion,omitempty"`
}

// Duration returns how long the run lasted.
func (r *Report) Duration() time.Duration {
	if r.EndedAt.Before(r.StartedAt) {
		return 0
	}
	return r.EndedAt.Sub(r.StartedAt)
}

// Title returns the scenario name followed by the variant, if any.
func (r *Report) Title() string {
	name := r.Scenario.Name
	if name == "" {
		name = "unnamed scenario"
	}
	if r.Variant != "" {
		return name + " [" + r.Variant + "]"
	}
	return name
}
