package check

import (
	"strconv"
	"strings"
)

// Metric describes one metric a run produces and checks can compare.
type Metric struct {
	// Name is how expressions refer to the metric.
	Name string
	// Kind is the metric's unit.
	Kind Kind
	// Live reports whether the metric can be computed over a single second
	// of the run's timeline, which abort conditions need.
	Live bool
	// Help is a one-line description.
	Help string
}

// StatusPattern is the catalog name standing for every status_NNN metric,
// one per three-digit HTTP status code from 100 to 599.
const StatusPattern = "status_NNN"

// Catalog returns every metric checks can use, in documentation order. The
// entry named StatusPattern stands for all status_NNN metrics. Each call
// returns a new slice.
func Catalog() []Metric {
	return []Metric{
		{"requests", Count, true, "requests issued"},
		{"successes", Count, true, "requests that succeeded (no transport error and a success status)"},
		{"success_rate", Ratio, true, "successes / requests"},
		{"error_rate", Ratio, true, "failed requests / requests (1 - success_rate)"},
		{"rate", Number, true, "achieved request rate, requests per second"},
		{"throughput", Number, false, "successful requests per second"},
		{"status_2xx", Count, true, "responses with a status code from 200 to 299"},
		{"status_3xx", Count, true, "responses with a status code from 300 to 399"},
		{"status_4xx", Count, true, "responses with a status code from 400 to 499"},
		{"status_5xx", Count, true, "responses with a status code from 500 to 599"},
		{StatusPattern, Count, true, "responses with exactly status code NNN (100 to 599), e.g. status_502"},
		{"errors", Count, true, "failed requests of any class (requests - successes)"},
		{"errors_refused", Count, true, "requests failed because the connection was refused"},
		{"errors_reset", Count, true, "requests failed because the connection was reset"},
		{"errors_timeout", Count, true, "requests that timed out"},
		{"errors_eof", Count, true, "requests failed because the connection closed early (EOF)"},
		{"errors_tls", Count, true, "requests failed in the TLS handshake"},
		{"errors_http", Count, true, "responses with a failing status code and no transport error"},
		{"errors_cancelled", Count, true, "requests cancelled because the run stopped before their response"},
		{"errors_other", Count, true, "requests failed for any other reason"},
		{"p50", Duration, true, "median latency"},
		{"p90", Duration, false, "90th percentile latency"},
		{"p95", Duration, false, "95th percentile latency"},
		{"p99", Duration, true, "99th percentile latency"},
		{"p999", Duration, false, "99.9th percentile latency"},
		{"max_latency", Duration, true, "highest latency"},
		{"mean_latency", Duration, false, "mean latency"},
		{"max_error_burst", Duration, false, "longest run of consecutive seconds in which some request failed"},
		{"error_seconds", Count, false, "number of seconds in which some request failed"},
		{"time_to_recover", Duration, false, "longest time from the start of an error burst until the success rate is back to its level before the burst"},
		{"backends", Count, false, "distinct backends seen in the backend header"},
		{"backend_share_cv", Number, false, "coefficient of variation (stddev/mean) of the per-backend share of requests"},
		{"conntrack_drops", Count, false, "conntrack entries the sampled nodes failed to create during the run (drop + early_drop + insert_failed); needs sample.nodes with conntrack"},
		{"conntrack_max_fill", Ratio, false, "highest nf_conntrack_count / nf_conntrack_max seen on a sampled node; needs sample.nodes with conntrack"},
		{"registration_lag_p50", Duration, false, "median over pods of pod Ready to its target healthy; needs sample.loadBalancer and ip targets"},
		{"registration_lag_max", Duration, false, "longest pod Ready to its target healthy; needs sample.loadBalancer and ip targets"},
		{"deregistration_lag_p50", Duration, false, "median over pods of pod deletion to its target draining; needs sample.loadBalancer and ip targets"},
		{"deregistration_lag_max", Duration, false, "longest pod deletion to its target draining; needs sample.loadBalancer and ip targets"},
		{"served_after_deletion_p50", Duration, false, "median over pods of pod deletion to the last response naming it in the backend header"},
		{"served_after_deletion_max", Duration, false, "longest pod deletion to the last response naming it in the backend header"},
		{"kube_proxy_sync_lag_p50", Duration, false, "median over pods and nodes of endpoint removal to kube-proxy's next sync on the node; needs sample.nodes"},
		{"kube_proxy_sync_lag_max", Duration, false, "longest endpoint removal to kube-proxy's next sync on a node; needs sample.nodes"},
		{"prestop_duration_p50", Duration, false, "median over pods of the preStop hook's start (the kubelet's Killing event) to SIGTERM, where the evidence tells SIGTERM (no hook, a sleep action, a failed hook, or the app's termination message)"},
		{"prestop_duration_max", Duration, false, "longest preStop hook's start to SIGTERM of a pod (as prestop_duration_p50)"},
		{"sigterm_to_exit_p50", Duration, false, "median over pods of SIGTERM to the container's terminated state seen, where SIGTERM is known (as prestop_duration_p50)"},
		{"sigterm_to_exit_max", Duration, false, "longest SIGTERM to the container's terminated state seen of a pod"},
		{"shutdown_p50", Duration, false, "median over pods of pod deletion to the pod gone (preStop, SIGTERM and exit)"},
		{"shutdown_max", Duration, false, "longest pod deletion to the pod gone (preStop, SIGTERM and exit)"},
	}
}

// Lookup returns the metric called name, resolving status_NNN names for
// codes 100 to 599.
func Lookup(name string) (Metric, bool) {
	if code, ok := statusCode(name); ok {
		m := Metric{Name: name, Kind: Count, Live: true, Help: "responses with status code " + strconv.Itoa(code)}
		return m, true
	}
	for _, m := range Catalog() {
		if m.Name == name && m.Name != StatusPattern {
			return m, true
		}
	}
	return Metric{}, false
}

// statusCode reports whether name is status_NNN with NNN in [100,599].
func statusCode(name string) (int, bool) {
	d, ok := strings.CutPrefix(name, "status_")
	if !ok || len(d) != 3 {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	code, _ := strconv.Atoi(d)
	return code, code >= 100 && code <= 599
}

// Names returns the names of all catalog metrics (with StatusPattern for
// the status_NNN family), live ones only when live is true.
func Names(live bool) []string {
	var names []string
	for _, m := range Catalog() {
		if !live || m.Live {
			names = append(names, m.Name)
		}
	}
	return names
}

// Closest returns the candidate nearest to name by edit distance when it is
// near enough to be a likely typo, or "". The scenario parser uses it for
// field names too.
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(name) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// distance is the Levenshtein edit distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
