package scenario

import (
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/drillkit/drill/pkg/check"
)

// APIVersion is the only apiVersion this package reads.
const APIVersion = "drill/v1"

// KindScenario is the only kind this package reads.
const KindScenario = "Scenario"

// Target kinds, as returned by Target.Kind.
const (
	TargetURL  = "url"
	TargetLab  = "lab"
	TargetKube = "kube"
)

// Scenario is one parsed, validated scenario with defaults filled in.
//
// Struct tags drive both the parser and Explain: yaml names the field,
// doc describes it, default is the value used when the field is absent
// (written in YAML), required marks mandatory fields, enum lists allowed
// values and min/max bound integers.
type Scenario struct {
	// File is the path the scenario was read from ("" when parsed from
	// memory without a name).
	File string `yaml:"-"`

	APIVersion string        `yaml:"apiVersion" required:"true" doc:"Version of the scenario format; must be drill/v1."`
	Kind       string        `yaml:"kind" required:"true" doc:"Kind of document; must be Scenario."`
	Metadata   Metadata      `yaml:"metadata" required:"true" doc:"Identifies the scenario."`
	Target     Target        `yaml:"target" doc:"Where the system under test lives: at most one of url, lab or kube; none means an embedded lab with defaults."`
	Setup      []string      `yaml:"setup" doc:"Manifest files applied before the load starts and deleted after the run, relative to the scenario file (lab and kube targets only)."`
	Load       LoadSpec      `yaml:"load" required:"true" doc:"The HTTP load: how fast, for how long, and which requests."`
	Faults     []Fault       `yaml:"faults" doc:"Faults injected while the load runs, each at an offset from the start of the load (lab and kube targets only)."`
	Sample     Sample        `yaml:"sample" doc:"What to sample during the run besides the load's own results (lab and kube targets only)."`
	Checks     []Check       `yaml:"checks" doc:"Threshold expressions over the whole run; the run passes when all hold (see docs/checks.md)."`
	AbortWhen  []Abort       `yaml:"abortWhen" doc:"Conditions evaluated on each second of the run that stop it early when they hold long enough (see docs/checks.md)."`
	AbortGrace time.Duration `yaml:"abortGrace" default:"2s" doc:"How long after a second ends it is evaluated for abortWhen (and shown on the progress line); its requests still without a response then count as failed (no response). At least 100ms (see docs/checks.md)."`
	Timeouts   Timeouts      `yaml:"timeouts" doc:"Bounds on the waits around the load: setup, deleting it, recovering the faults (lab and kube targets only)."`
	Matrix     Matrix        `yaml:"matrix" doc:"Configuration variables and the values each takes: every combination is one run, and drill run compares them (at most 16 combinations; lab and kube targets only)."`
	Repeat     int           `yaml:"repeat" default:"1" min:"1" max:"20" doc:"How many times the scenario runs (each combination of the matrix, when there is one): every trial writes its own report under trial-N, and a pooled report (pooled.json) adds up their requests for the proportion tests. At most 64 runs with the matrix (see docs/report.md)."`

	// Variant names the combination of matrix values this copy of the
	// scenario runs with (WithVariant); empty otherwise.
	Variant string `yaml:"-"`
	// Patch holds the setup variables of that combination.
	Patch SetupPatch `yaml:"-"`
}

// SetupPatch changes the setup's objects before they are applied; nil
// fields change nothing.
type SetupPatch struct {
	PreStopSleep        *time.Duration
	GracePeriodSeconds  *int64
	DeregistrationDelay *time.Duration
	ReadinessGates      *bool
}

// WithVariant returns a copy of the scenario for one variant of its
// matrix: target.lab variables set in its target, setup variables in Patch.
func (s *Scenario) WithVariant(v Variant) *Scenario {
	c := *s
	c.Variant = v.Label
	if s.Target.Lab != nil {
		lab := *s.Target.Lab
		c.Target.Lab = &lab
	}
	for name, val := range v.Values {
		n, _ := strconv.Atoi(val)
		d, _ := time.ParseDuration(val)
		switch name {
		case VarProxyMode:
			c.Target.Lab.ProxyMode = val
		case VarNodes:
			c.Target.Lab.Nodes = n
		case VarHostConntrackMax:
			c.Target.Lab.HostConntrackMax = n
		case VarTCPEstablished:
			c.Target.Lab.ConntrackTimeouts.TCPEstablished = d
		case VarTCPTimeWait:
			c.Target.Lab.ConntrackTimeouts.TCPTimeWait = d
		case VarTCPCloseWait:
			c.Target.Lab.ConntrackTimeouts.TCPCloseWait = d
		case VarUDPTimeout:
			c.Target.Lab.ConntrackTimeouts.UDP = d
		case VarPreStopSleep:
			c.Patch.PreStopSleep = &d
		case VarGracePeriod:
			g := int64(n)
			c.Patch.GracePeriodSeconds = &g
		case VarDeregistrationDelay:
			c.Patch.DeregistrationDelay = &d
		case VarReadinessGates:
			b := val == "true"
			c.Patch.ReadinessGates = &b
		}
	}
	return &c
}

// Metadata identifies a scenario.
type Metadata struct {
	Name        string `yaml:"name" required:"true" doc:"Short name used in report and file names: lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit."`
	Description string `yaml:"description" doc:"Free text saying what the scenario tests."`
}

// Target says where the system under test lives. After parsing exactly one
// of URL, Lab and Kube is set.
type Target struct {
	URL  string `yaml:"url" doc:"Base URL (http or https) of a running service; drill sends load and evaluates checks only, no setup, faults or sampling."`
	Lab  *Lab   `yaml:"lab" doc:"The embedded lab: a small real Kubernetes cluster on this machine behind a lab load balancer."`
	Kube *Kube  `yaml:"kube" doc:"A real cluster reached through a kubeconfig, like kubectl."`
}

// Kind returns TargetURL, TargetLab or TargetKube.
func (t Target) Kind() string {
	switch {
	case t.URL != "":
		return TargetURL
	case t.Kube != nil:
		return TargetKube
	default:
		return TargetLab
	}
}

// Lab configures the embedded lab.
type Lab struct {
	Name      string   `yaml:"name" doc:"Use the already running lab with this name instead of bringing one up for the run; nodes, proxyMode and hostConntrackMax must then be left out."`
	Nodes     int      `yaml:"nodes" default:"3" min:"1" max:"10" doc:"Number of worker nodes."`
	ProxyMode string   `yaml:"proxyMode" default:"iptables" enum:"iptables,nftables,ipvs" doc:"kube-proxy mode on every node."`
	Images    []string `yaml:"images" doc:"Image archives (docker save or OCI archive .tar, relative to the scenario file) loaded into every node before the setup is applied. Pods using them need imagePullPolicy IfNotPresent unless their tag is in a reachable registry."`
	// HostConntrackMax changes a host-wide setting, so a run needs the
	// user's explicit opt-in (drill run --allow-host-sysctl).
	HostConntrackMax  int               `yaml:"hostConntrackMax" default:"0" min:"0" max:"16777216" doc:"Sets the host's global nf_conntrack_max (the limit every node's table has; read-only inside a node) for the run and restores it afterwards; 0 leaves it alone. Needs drill run --allow-host-sysctl."`
	ConntrackTimeouts ConntrackTimeouts `yaml:"conntrackTimeouts" doc:"Conntrack timeouts of every node's network namespace (per namespace, so the host is untouched); unset ones keep kube-proxy's and the kernel's defaults."`
}

// ConntrackTimeouts are the nf_conntrack timeouts a lab sets in each node's
// network namespace; zero leaves a timeout as kube-proxy and the kernel set
// it (established 24h and close_wait 1h by kube-proxy, time_wait 120s and
// udp 30s by the kernel).
type ConntrackTimeouts struct {
	TCPEstablished time.Duration `yaml:"tcpEstablished" doc:"nf_conntrack_tcp_timeout_established: how long an idle established TCP connection is tracked (kube-proxy's conntrack.tcpEstablishedTimeout). Whole seconds, 1s..2147483s."`
	TCPTimeWait    time.Duration `yaml:"tcpTimeWait" doc:"nf_conntrack_tcp_timeout_time_wait: how long a closed TCP connection stays in TIME_WAIT. Whole seconds, 1s..2147483s."`
	TCPCloseWait   time.Duration `yaml:"tcpCloseWait" doc:"nf_conntrack_tcp_timeout_close_wait: how long a half-closed TCP connection stays in CLOSE_WAIT (kube-proxy's conntrack.tcpCloseWaitTimeout). Whole seconds, 1s..2147483s."`
	UDP            time.Duration `yaml:"udp" doc:"nf_conntrack_udp_timeout: how long an unreplied UDP flow is tracked (kube-proxy's conntrack.udpTimeout). Whole seconds, 1s..2147483s."`
}

// MaxConntrackTimeout is the longest conntrack timeout drill sets: the
// kernel stores timeouts in jiffies in an int and refuses more than
// INT_MAX/HZ seconds; this is that bound for HZ up to 1000.
const MaxConntrackTimeout = 2147483 * time.Second

// Fields returns the timeouts by their scenario key, in documentation order.
func (c ConntrackTimeouts) Fields() []struct {
	Key   string
	Value time.Duration
} {
	return []struct {
		Key   string
		Value time.Duration
	}{{"tcpEstablished", c.TCPEstablished}, {"tcpTimeWait", c.TCPTimeWait}, {"tcpCloseWait", c.TCPCloseWait}, {"udp", c.UDP}}
}

// Kube configures a real cluster target.
type Kube struct {
	Kubeconfig string `yaml:"kubeconfig" doc:"Path of the kubeconfig file; empty means $KUBECONFIG, then ~/.kube/config."`
	Context    string `yaml:"context" doc:"Kubeconfig context; empty means the current context."`
	Namespace  string `yaml:"namespace" default:"default" doc:"Namespace the setup manifests and faults act in."`
	URL        string `yaml:"url" required:"true" doc:"URL (http or https) of the load balancer in front of the service; the load goes there."`
}

// LoadSpec describes the HTTP load. After parsing, Phases always holds the
// whole plan: rate and duration become a single constant phase.
type LoadSpec struct {
	Rate               Rate              `yaml:"rate" doc:"Constant request rate as FREQ/PER: 300/s, 5/ms, 1000/10s, 60/m. Needs duration; not with phases."`
	Duration           time.Duration     `yaml:"duration" doc:"How long the constant rate is held, e.g. 3m. Needs rate; not with phases."`
	Phases             []Phase           `yaml:"phases" doc:"Instead of rate and duration: consecutive phases, each constant (rate) or a linear ramp (from, to); steps are consecutive constant phases."`
	Workers            int               `yaml:"workers" default:"10" min:"1" doc:"Initial number of concurrent workers sending requests."`
	MaxWorkers         int               `yaml:"maxWorkers" default:"0" min:"0" doc:"Upper bound on workers when responses are slow, and so on requests in flight; 0 means load.DefaultMaxWorkers (2048), or workers when more."`
	Connections        int               `yaml:"connections" default:"10000" min:"1" doc:"Idle connections kept open per host."`
	MaxConnections     int               `yaml:"maxConnections" default:"0" min:"0" doc:"Upper bound on connections per host; 0 means unbounded."`
	KeepAlive          bool              `yaml:"keepAlive" default:"true" doc:"Reuse connections between requests; false opens a connection per request."`
	HTTP2              bool              `yaml:"http2" default:"false" doc:"Negotiate HTTP/2 over TLS when the server offers it."`
	H2C                bool              `yaml:"h2c" default:"false" doc:"Speak HTTP/2 without TLS (cleartext); only for http URLs."`
	InsecureSkipVerify bool              `yaml:"insecureSkipVerify" default:"false" doc:"Accept any TLS certificate."`
	Timeout            time.Duration     `yaml:"timeout" default:"30s" doc:"Per-request timeout; a request that takes longer fails as a timeout."`
	Headers            map[string]string `yaml:"headers" doc:"Headers sent with every request, as name: value."`
	MaxBody            int64             `yaml:"maxBody" default:"4096" min:"-1" doc:"Bytes of each response body kept in results.bin; the rest is read and discarded. 0 keeps none, -1 keeps whole bodies (results.bin then grows with the responses)."`
	SecretHeaders      []string          `yaml:"secretHeaders" defaultText:"none besides Authorization and Proxy-Authorization" doc:"Headers whose values are secret: drill never writes them (reports, results, messages), nor the userinfo of URLs. Authorization and Proxy-Authorization always are."`
	BackendHeader      string            `yaml:"backendHeader" default:"X-Drill-Backend" doc:"Response header naming the backend (pod) that served the request, used for per-backend share; empty disables."`
	Requests           []Request         `yaml:"requests" default:"[{}]" defaultText:"one GET of the target URL" doc:"Requests to send, picked at random in proportion to their weights."`
}

// Phase is one part of the load plan: a constant rate (From == To) or a
// linear ramp from From to To over Duration. After parsing, From and To are
// always set; Rate is set only when the phase was written as constant.
type Phase struct {
	Duration time.Duration `yaml:"duration" required:"true" doc:"Length of the phase, e.g. 30s."`
	Rate     Rate          `yaml:"rate" doc:"Constant rate for the whole phase; not with from/to."`
	From     Rate          `yaml:"from" doc:"Rate at the start of a linear ramp; needs to."`
	To       Rate          `yaml:"to" doc:"Rate at the end of a linear ramp; needs from."`
}

// Ramp reports whether the phase changes rate over time.
func (p Phase) Ramp() bool { return p.From != p.To }

// Request is one kind of request the load sends.
type Request struct {
	Name     string            `yaml:"name" defaultText:"METHOD path, e.g. GET /" doc:"Label used in reports; must be unique among requests."`
	Method   string            `yaml:"method" default:"GET" doc:"HTTP method, upper case."`
	Path     string            `yaml:"path" doc:"Path (and query) appended to the target URL, starting with '/'; empty means the target URL itself. Not with url."`
	URL      string            `yaml:"url" doc:"Absolute http or https URL to send this request to instead of the target URL. Not with path."`
	Headers  map[string]string `yaml:"headers" doc:"Headers for this request, added to load.headers (same name: this one wins)."`
	Body     string            `yaml:"body" doc:"Request body. Not with bodyFile."`
	BodyFile string            `yaml:"bodyFile" doc:"File whose bytes are the request body, relative to the scenario file, read once when the scenario is loaded. Not with body."`
	Weight   int               `yaml:"weight" default:"1" min:"1" doc:"Relative frequency of this request among all requests."`
}

// Sample configures what is sampled during the run.
type Sample struct {
	Interval     time.Duration `yaml:"interval" default:"1s" doc:"Time between samples, at least 100ms."`
	Nodes        []string      `yaml:"nodes" default:"[conntrack]" enum:"conntrack,conntrackStates,iptables,nftables,ipvs" doc:"Datapath state sampled on every node: conntrack table, its entries by TCP state (conntrackStates: reads every entry), iptables, nftables and IPVS rules."`
	LoadBalancer bool          `yaml:"loadBalancer" default:"false" doc:"Sample the load balancer's target health states."`
}

// Timeouts bounds every wait of a run outside the load itself. A wait that
// runs out fails the run with what it was waiting for.
type Timeouts struct {
	Setup   time.Duration `yaml:"setup" default:"5m" doc:"How long the setup may take to be ready: every Deployment rolled out and, on the lab, the load balancer's targets healthy. A Deployment whose rollout stalls (ProgressDeadlineExceeded, after its progressDeadlineSeconds) fails the setup sooner, with its own message."`
	Delete  time.Duration `yaml:"delete" default:"2m" doc:"How long deleting the setup after the run may wait for its objects to be gone; a finalizer that never clears makes the run exit 5 naming the object."`
	Recover time.Duration `yaml:"recover" default:"5m" doc:"How long recovering the faults after the run may take, all together; what is not recovered by then is left for drill recover (exit 5)."`
}

// Check is one entry of checks: a threshold expression over the whole run.
type Check struct {
	// Expr is the parsed expression; Expr.Source is the text as written.
	Expr check.Expr
	// Line and Col locate the expression in the scenario file.
	Line, Col int
}

// Abort is one entry of abortWhen: a condition on each second of the run.
type Abort struct {
	// Condition is the parsed condition; Condition.Source is the text as
	// written.
	Condition check.Abort
	// Line and Col locate the condition in the scenario file.
	Line, Col int
}

// Fault is one entry of faults: an action applied at an offset from the
// start of the load. Action bodies are kept as YAML for the injector that
// understands them.
type Fault struct {
	At time.Duration `yaml:"at" required:"true" doc:"Offset from the start of the load at which the fault is applied; must be before the load ends."`
	// Action is the action key, one of Options.Faults.
	Action string `yaml:"-"`
	// Spec is the action's body (a mapping), for the injector to decode.
	Spec yaml.Node `yaml:"-"`
	// Path is the action's field path, e.g. faults[2].rollingUpdate, for
	// messages about its parameters.
	Path string `yaml:"-"`
	// Line and Col locate the fault item in the scenario file.
	Line, Col int `yaml:"-"`
}

// FaultAction describes a fault action a scenario may name: its key under
// faults[], what it does, and the struct type its parameters decode into
// (tagged like the scenario types).
type FaultAction struct {
	Name   string
	Doc    string
	Params reflect.Type
}

// TotalDuration returns how long the load runs: the sum of its phases.
func (s *Scenario) TotalDuration() time.Duration { return s.Load.TotalDuration() }

// TotalDuration returns the sum of the phases' durations, or Duration when
// the phases have not been filled in.
func (l LoadSpec) TotalDuration() time.Duration {
	if len(l.Phases) == 0 {
		return l.Duration
	}
	var d time.Duration
	for _, p := range l.Phases {
		d += p.Duration
	}
	return d
}

// Exprs returns the parsed checks a run judges: those with an absolute
// threshold.
func (s *Scenario) Exprs() []check.Expr {
	out := make([]check.Expr, 0, len(s.Checks))
	for _, c := range s.Checks {
		if c.Expr.Relative == check.Absolute {
			out = append(out, c.Expr)
		}
	}
	return out
}

// BaselineChecks returns the checks with a threshold relative to a
// baseline run ("p99 <= +10%"), as written: drill compare judges them.
func (s *Scenario) BaselineChecks() []string {
	var out []string
	for _, c := range s.Checks {
		if c.Expr.Relative != check.Absolute {
			out = append(out, c.Expr.Source)
		}
	}
	return out
}

// Aborts returns the parsed abort conditions.
func (s *Scenario) Aborts() []check.Abort {
	out := make([]check.Abort, len(s.AbortWhen))
	for i, a := range s.AbortWhen {
		out[i] = a.Condition
	}
	return out
}

// SetupFiles returns the setup manifests' paths resolved against the
// directory of the scenario file.
func (s *Scenario) SetupFiles() []string {
	out := make([]string, len(s.Setup))
	for i, p := range s.Setup {
		out[i] = s.resolve(p)
	}
	return out
}

// ImageFiles returns the lab's image archives' paths resolved against the
// directory of the scenario file.
func (s *Scenario) ImageFiles() []string {
	if s.Target.Lab == nil {
		return nil
	}
	out := make([]string, len(s.Target.Lab.Images))
	for i, p := range s.Target.Lab.Images {
		out[i] = s.resolve(p)
	}
	return out
}

func (s *Scenario) resolve(p string) string {
	if filepath.IsAbs(p) || s.File == "" {
		return p
	}
	return filepath.Join(filepath.Dir(s.File), p)
}

// ResolveURL returns the URL this request is sent to: its own url when it
// has one, else base with the request's path (and query) appended to
// base's path.
func (r Request) ResolveURL(base string) (string, error) {
	if r.URL != "" {
		return r.URL, nil
	}
	if r.Path == "" {
		return base, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("request %s: target URL %q: %w", r.Name, base, err)
	}
	ref, err := url.Parse(r.Path)
	if err != nil {
		return "", fmt.Errorf("request %s: path %q: %w", r.Name, r.Path, err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + ref.Path
	u.RawPath = ""
	if ref.RawQuery != "" {
		u.RawQuery = ref.RawQuery
	}
	return u.String(), nil
}

// FaultsByTime returns the faults ordered by their offset, keeping file
// order for equal offsets.
func (s *Scenario) FaultsByTime() []Fault {
	out := append([]Fault(nil), s.Faults...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}
