package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/drillkit/drill/pkg/awslb"
)

// TargetState is a target's state as DescribeTargetHealth reports it.
type TargetState string

// Target states (the subset of ELBv2 TargetHealthStateEnum the lab uses).
const (
	StateInitial   TargetState = "initial"
	StateHealthy   TargetState = "healthy"
	StateUnhealthy TargetState = "unhealthy"
	StateDraining  TargetState = "draining"
)

// Reason codes reported with a target's state (ELBv2 TargetHealthReasonEnum).
const (
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
)

// Defaults of a target group, as the AWS Load Balancer Controller creates
// them (health checks) and as the ELBv2 API documents them (deregistration
// delay).
const (
	DefaultHealthCheckPath     = "/"
	DefaultHealthCheckInterval = 15 * time.Second
	DefaultHealthCheckTimeout  = 5 * time.Second
	DefaultHealthyThreshold    = 2
	DefaultUnhealthyThreshold  = 2
	DefaultHealthCheckMatcher  = "200"
	DefaultDeregistrationDelay = 300 * time.Second
	maxIdleConnsPerTarget      = 128
)

// HealthCheckUserAgent is the User-Agent of health-check requests, as an
// ALB sends it.
const HealthCheckUserAgent = "ELB-HealthChecker/2.0"

// HealthCheck configures a target group's health checks.
type HealthCheck struct {
	// Path is requested with GET; default "/".
	Path string
	// Port is "traffic-port" (the target's port, the default) or a number.
	Port string
	// Interval between checks of one target; default 15s.
	Interval time.Duration
	// Timeout of one check; default 5s.
	Timeout time.Duration
	// HealthyThreshold consecutive successes make a target healthy; default 2.
	HealthyThreshold int
	// UnhealthyThreshold consecutive failures make it unhealthy; default 2.
	UnhealthyThreshold int
	// Matcher lists the success codes: "200", "200,202" or "200-299";
	// default "200".
	Matcher string
}

// WithDefaults fills the zero fields with the defaults.
func (h HealthCheck) WithDefaults() HealthCheck {
	if h.Path == "" {
		h.Path = DefaultHealthCheckPath
	}
	if h.Port == "" {
		h.Port = "traffic-port"
	}
	if h.Interval == 0 {
		h.Interval = DefaultHealthCheckInterval
	}
	if h.Timeout == 0 {
		h.Timeout = DefaultHealthCheckTimeout
	}
	if h.HealthyThreshold == 0 {
		h.HealthyThreshold = DefaultHealthyThreshold
	}
	if h.UnhealthyThreshold == 0 {
		h.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	if h.Matcher == "" {
		h.Matcher = DefaultHealthCheckMatcher
	}
	return h
}

// Validate reports every problem with settings that have their defaults
// applied (WithDefaults).
func (h HealthCheck) Validate() error {
	var errs []error
	if h.Path == "" || h.Path[0] != '/' {
		errs = append(errs, fmt.Errorf("health check path %q: must start with /", h.Path))
	}
	if h.Port != "traffic-port" {
		if p, err := strconv.Atoi(h.Port); err != nil || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("health check port %q: use traffic-port or 1-65535", h.Port))
		}
	}
	if h.Interval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("health check interval %s: use at least 100ms", h.Interval))
	}
	if h.Timeout <= 0 || h.Timeout >= h.Interval {
		errs = append(errs, fmt.Errorf("health check timeout %s: must be positive and below the interval %s", h.Timeout, h.Interval))
	}
	if h.HealthyThreshold < 1 || h.HealthyThreshold > 10 {
		errs = append(errs, fmt.Errorf("healthy threshold %d: use 1-10", h.HealthyThreshold))
	}
	if h.UnhealthyThreshold < 1 || h.UnhealthyThreshold > 10 {
		errs = append(errs, fmt.Errorf("unhealthy threshold %d: use 1-10", h.UnhealthyThreshold))
	}
	if _, err := parseMatcher(h.Matcher); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// TargetGroupConfig describes a target group.
type TargetGroupConfig struct {
	// Name is unique per load balancer, at most 32 characters.
	Name string
	// TargetType is instance or ip; it only labels the targets (the proxy
	// dials whatever address a target has).
	TargetType string
	// Port is the target group's port (informational, like AWS).
	Port int
	// HealthCheck configures health checks; zero fields get defaults.
	HealthCheck HealthCheck
	// DeregistrationDelay is how long a deregistered target drains;
	// default 300s. Zero means the default: use NoDelay for none.
	DeregistrationDelay time.Duration
	// Tags are returned by DescribeTags and used to find the group.
	Tags map[string]string
}

// NoDelay is a DeregistrationDelay of zero seconds.
const NoDelay = -1

func (c TargetGroupConfig) withDefaults() TargetGroupConfig {
	c.HealthCheck = c.HealthCheck.WithDefaults()
	if c.TargetType == "" {
		c.TargetType = awslb.TargetTypeIP
	}
	if c.DeregistrationDelay == 0 {
		c.DeregistrationDelay = DefaultDeregistrationDelay
	}
	if c.DeregistrationDelay < 0 {
		c.DeregistrationDelay = 0
	}
	return c
}

// Validate reports every problem with the configuration.
func (c TargetGroupConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Name == "" || len(c.Name) > 32 {
		errs = append(errs, fmt.Errorf("target group name %q: use 1-32 characters", c.Name))
	}
	if c.TargetType != awslb.TargetTypeInstance && c.TargetType != awslb.TargetTypeIP {
		errs = append(errs, fmt.Errorf("target type %q: use instance or ip", c.TargetType))
	}
	if c.DeregistrationDelay > 3600*time.Second {
		errs = append(errs, fmt.Errorf("deregistration delay %s: use 0-3600s", c.DeregistrationDelay))
	}
	errs = append(errs, c.HealthCheck.Validate())
	return errors.Join(errs...)
}

// TargetSpec names a target to register: ID is an IP address (ip targets) or
// a node name (instance targets in the lab, where nodes have no instance
// IDs); Addr is the host:port the proxy and health checks dial.
type TargetSpec struct {
	ID   string
	Port int
	Addr string
}

// Key identifies a target within its group, like ELBv2 does: id and port.
func (s TargetSpec) Key() string { return s.ID + ":" + strconv.Itoa(s.Port) }

// TargetHealth is one target's state at a moment.
type TargetHealth struct {
	Target      TargetSpec
	State       TargetState
	Reason      string
	Description string
	// Since is when the target entered State.
	Since time.Time
	// InFlight counts requests being proxied to the target.
	InFlight int
}

// TargetChange is a state transition, reported to watchers.
type TargetChange struct {
	Time        time.Time
	TargetGroup string
	Target      TargetSpec
	From, To    TargetState
	Reason      string
	// Removed is true when the target left the group (end of draining).
	Removed bool
}

// TargetGroup is a set of targets with health checks, round-robin selection
// and draining. It is safe for concurrent use.
type TargetGroup struct {
	arn      string
	dial     DialFunc
	notify   func(TargetChange)
	mu       sync.Mutex
	cfg      TargetGroupConfig
	targets  map[string]*target
	rr       int
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
	hcClient *http.Client
}

type target struct {
	spec       TargetSpec
	state      TargetState
	reason     string
	desc       string
	since      time.Time
	okStreak   int
	failStreak int
	inFlight   int
	transport  *http.Transport
	// gone is cancelled when the target leaves the group: in-flight requests
	// still running are cut (502).
	gone       context.Context
	cancelGone context.CancelCauseFunc
	stopHealth context.CancelFunc
	drainTimer *time.Timer
}

// errDeregistered is the cause of requests cut at the end of draining.
var errDeregistered = errors.New("deregistration delay expired")

func newTargetGroup(parent context.Context, arn string, cfg TargetGroupConfig, dial DialFunc, notify func(TargetChange)) *TargetGroup {
	ctx, cancel := context.WithCancel(parent)
	tg := &TargetGroup{arn: arn, dial: dial, notify: notify, cfg: cfg.withDefaults(), targets: map[string]*target{}, ctx: ctx, cancel: cancel}
	tg.hcClient = &http.Client{
		Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return tg
}

// ARN is the target group's Amazon Resource Name.
func (tg *TargetGroup) ARN() string { return tg.arn }

// Name is the target group's name.
func (tg *TargetGroup) Name() string { return tg.cfg.Name }

// Config returns the group's current configuration (defaults applied).
func (tg *TargetGroup) Config() TargetGroupConfig {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	c := tg.cfg
	c.Tags = copyTags(tg.cfg.Tags)
	return c
}

func copyTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetDeregistrationDelay changes the delay applied to later deregistrations
// (like ModifyTargetGroupAttributes: targets already draining keep theirs).
func (tg *TargetGroup) SetDeregistrationDelay(d time.Duration) error {
	if d < 0 || d > 3600*time.Second {
		return fmt.Errorf("deregistration delay %s: use 0-3600s", d)
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.cfg.DeregistrationDelay = d
	return nil
}

// SetHealthCheck replaces the health check settings; running checks pick them
// up at their next interval.
func (tg *TargetGroup) SetHealthCheck(h HealthCheck) error {
	h = h.WithDefaults()
	if err := h.Validate(); err != nil {
		return err
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.cfg.HealthCheck = h
	return nil
}

// Register adds targets in state initial and starts their health checks.
// Registering a draining target puts it back to initial.
func (tg *TargetGroup) Register(specs ...TargetSpec) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.closed {
		return
	}
	now := time.Now()
	for _, s := range specs {
		if t, ok := tg.targets[s.Key()]; ok {
			if t.state != StateDraining {
				continue
			}
			t.drainTimer.Stop()
			tg.setState(t, StateInitial, ReasonInitialHealthChecking, "Initial health checks in progress", now)
			t.okStreak, t.failStreak = 0, 0
			tg.startHealth(t)
			continue
		}
		gone, cancelGone := context.WithCancelCause(tg.ctx)
		t := &target{spec: s, gone: gone, cancelGone: cancelGone, since: now}
		t.transport = &http.Transport{
			DialContext:         tg.dial,
			MaxIdleConnsPerHost: maxIdleConnsPerTarget,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
		tg.targets[s.Key()] = t
		t.state = ""
		tg.setState(t, StateInitial, ReasonInitialHealthChecking, "Initial health checks in progress", now)
		tg.startHealth(t)
	}
}

// Deregister moves targets to draining: they get no new requests, requests
// in flight continue, and after the deregistration delay the target is
// removed (requests still in flight then are cut and answered 502).
func (tg *TargetGroup) Deregister(keys ...string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	now := time.Now()
	delay := tg.cfg.DeregistrationDelay
	for _, k := range keys {
		t, ok := tg.targets[k]
		if !ok || t.state == StateDraining {
			continue
		}
		if t.stopHealth != nil {
			t.stopHealth()
			t.stopHealth = nil
		}
		tg.setState(t, StateDraining, ReasonDeregistrationInProgress, "Target deregistration is in progress", now)
		if t.inFlight == 0 {
			t.transport.CloseIdleConnections()
		}
		t.drainTimer = time.AfterFunc(delay, func() { tg.remove(t) })
	}
}

// Targets returns the keys of registered (non-draining) targets.
func (tg *TargetGroup) Targets() []TargetSpec {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	var out []TargetSpec
	for _, t := range tg.targets {
		if t.state != StateDraining {
			out = append(out, t.spec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Health returns every target's state, draining ones included, sorted by key.
func (tg *TargetGroup) Health() []TargetHealth {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	out := make([]TargetHealth, 0, len(tg.targets))
	for _, t := range tg.targets {
		out = append(out, TargetHealth{Target: t.spec, State: t.state, Reason: t.reason, Description: t.desc, Since: t.since, InFlight: t.inFlight})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target.Key() < out[j].Target.Key() })
	return out
}

func (tg *TargetGroup) remove(t *target) {
	tg.mu.Lock()
	if cur, ok := tg.targets[t.spec.Key()]; !ok || cur != t || t.state != StateDraining {
		tg.mu.Unlock()
		return
	}
	delete(tg.targets, t.spec.Key())
	change := TargetChange{Time: time.Now(), TargetGroup: tg.cfg.Name, Target: t.spec, From: StateDraining, Removed: true}
	tg.mu.Unlock()
	t.cancelGone(errDeregistered)
	t.transport.CloseIdleConnections()
	if tg.notify != nil {
		tg.notify(change)
	}
}

// close stops every health check and cuts every connection.
func (tg *TargetGroup) close() {
	tg.mu.Lock()
	tg.closed = true
	for _, t := range tg.targets {
		if t.drainTimer != nil {
			t.drainTimer.Stop()
		}
		t.transport.CloseIdleConnections()
	}
	tg.mu.Unlock()
	tg.cancel()
}

// setState records a transition; tg.mu is held.
func (tg *TargetGroup) setState(t *target, s TargetState, reason, desc string, now time.Time) {
	from := t.state
	t.reason, t.desc = reason, desc
	if from == s {
		return
	}
	t.state, t.since = s, now
	if tg.notify != nil {
		c := TargetChange{Time: now, TargetGroup: tg.cfg.Name, Target: t.spec, From: from, To: s, Reason: reason}
		tg.notify(c)
	}
}

// pick chooses the next target round robin among healthy targets; when none
// is healthy it fails open over every registered (initial or unhealthy)
// target. It returns nil when no target is registered. The chosen target's
// in-flight count is incremented: call release when done.
func (tg *TargetGroup) pick() *target {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	var healthy, open []*target
	for _, t := range tg.targets {
		switch t.state {
		case StateHealthy:
			healthy = append(healthy, t)
		case StateInitial, StateUnhealthy:
			open = append(open, t)
		}
	}
	pool := healthy
	if len(pool) == 0 {
		pool = open
	}
	if len(pool) == 0 {
		return nil
	}
	sort.Slice(pool, func(i, j int) bool { return pool[i].spec.Key() < pool[j].spec.Key() })
	t := pool[tg.rr%len(pool)]
	tg.rr++
	t.inFlight++
	return t
}

func (tg *TargetGroup) release(t *target) {
	tg.mu.Lock()
	t.inFlight--
	idle := t.inFlight == 0 && t.state == StateDraining
	tg.mu.Unlock()
	if idle {
		// Deregistration completes early when nothing is in flight: the
		// target's connections close, but it is listed as draining until
		// the delay ends, like AWS.
		t.transport.CloseIdleConnections()
	}
}

// startHealth starts the target's health-check loop; tg.mu is held.
func (tg *TargetGroup) startHealth(t *target) {
	ctx, cancel := context.WithCancel(t.gone)
	t.stopHealth = cancel
	go tg.healthLoop(ctx, t)
}

func (tg *TargetGroup) healthLoop(ctx context.Context, t *target) {
	for {
		tg.mu.Lock()
		hc := tg.cfg.HealthCheck
		tg.mu.Unlock()
		ok, reason, desc := tg.check(ctx, t, hc)
		if ctx.Err() != nil {
			return
		}
		tg.mu.Lock()
		if ctx.Err() == nil {
			tg.record(t, hc, ok, reason, desc)
		}
		tg.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(hc.Interval):
		}
	}
}

// record applies one health-check result; tg.mu is held.
func (tg *TargetGroup) record(t *target, hc HealthCheck, ok bool, reason, desc string) {
	now := time.Now()
	if ok {
		t.okStreak++
		t.failStreak = 0
		if t.state != StateHealthy && t.okStreak >= hc.HealthyThreshold {
			tg.setState(t, StateHealthy, "", "", now)
		}
		return
	}
	t.failStreak++
	t.okStreak = 0
	if t.state != StateUnhealthy && t.failStreak >= hc.UnhealthyThreshold {
		tg.setState(t, StateUnhealthy, reason, desc, now)
	} else if t.state == StateUnhealthy {
		t.reason, t.desc = reason, desc
	}
}

// check runs one health check against t.
func (tg *TargetGroup) check(ctx context.Context, t *target, hc HealthCheck) (ok bool, reason, desc string) {
	addr := t.spec.Addr
	if hc.Port != "traffic-port" {
		host, _, err := net.SplitHostPort(addr)
		if err == nil {
			addr = net.JoinHostPort(host, hc.Port)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+hc.Path, nil)
	if err != nil {
		return false, ReasonFailedHealthChecks, err.Error()
	}
	req.Header.Set("User-Agent", HealthCheckUserAgent)
	resp, err := tg.hcClient.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return false, ReasonTimeout, "Request timed out"
		}
		return false, ReasonFailedHealthChecks, "Health checks failed"
	}
	resp.Body.Close()
	codes, _ := parseMatcher(hc.Matcher)
	if !codes(resp.StatusCode) {
		return false, ReasonResponseCodeMismatch, fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)
	}
	return true, "", ""
}

// parseMatcher parses "200", "200,202" or "200-299".
func parseMatcher(m string) (func(int) bool, error) {
	bad := fmt.Errorf("health check matcher %q: use codes like 200, 200,202 or 200-299", m)
	type span struct{ lo, hi int }
	var spans []span
	for _, part := range splitComma(m) {
		lo, hi := part, part
		for i := 0; i < len(part); i++ {
			if part[i] == '-' {
				lo, hi = part[:i], part[i+1:]
				break
			}
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return nil, bad
		}
		spans = append(spans, span{a, b})
	}
	if len(spans) == 0 {
		return nil, bad
	}
	return func(code int) bool {
		for _, s := range spans {
			if code >= s.lo && code <= s.hi {
				return true
			}
		}
		return false
	}, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
