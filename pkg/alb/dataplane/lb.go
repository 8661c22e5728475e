package dataplane

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a load balancer.
const (
	// DefaultConnectTimeout is how long the ALB waits for a target to accept
	// a connection before answering 504 (AWS: 10 seconds).
	DefaultConnectTimeout = 10 * time.Second
	// DefaultIdleTimeout is the ALB idle timeout (AWS default 60 seconds):
	// a target that sends nothing for that long gets the request answered 504.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultRegion and DefaultAccountID appear in the lab's ARNs.
	DefaultRegion    = "lab-1"
	DefaultAccountID = "000000000000"
)

// Config configures a LoadBalancer.
type Config struct {
	// Name of the load balancer (1-32 characters); default "drill-lab".
	Name string
	// Listen is the listener's address. Only loopback addresses are
	// accepted; default 127.0.0.1:0 (any free port).
	Listen string
	// Dial opens target and health-check connections; default DirectDialer.
	// In the lab it is NetnsDialer of the VPC namespace.
	Dial DialFunc
	// ConnectTimeout: default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// IdleTimeout: default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// AccessLog receives one JSON object per request (RequestLog) per line;
	// nil discards them.
	AccessLog io.Writer
	// OnRequest, when set, is called with every request's log record.
	OnRequest func(RequestLog)
	// Region and AccountID appear in ARNs; defaults DefaultRegion and
	// DefaultAccountID.
	Region, AccountID string
	// Tags are the load balancer's tags (DescribeTags).
	Tags map[string]string
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "drill-lab"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.Dial == nil {
		c.Dial = DirectDialer()
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.AccountID == "" {
		c.AccountID = DefaultAccountID
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Name) > 32 {
		errs = append(errs, fmt.Errorf("load balancer name %q: use at most 32 characters", c.Name))
	}
	if err := CheckLoopback(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen address: %w", err))
	}
	if c.ConnectTimeout < 0 || c.IdleTimeout < 0 {
		errs = append(errs, errors.New("connect and idle timeouts must be positive"))
	}
	return errors.Join(errs...)
}

// CheckLoopback returns an error unless addr is host:port with a loopback IP
// address: the lab's listeners are reachable from this host only.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q: only loopback addresses are allowed (like 127.0.0.1:8080)", addr)
	}
	return nil
}

// Rule routes requests whose host and path match to a target group, like an
// ALB listener rule made from an Ingress rule.
type Rule struct {
	// Host is empty (any), exact ("shop.example.com") or a wildcard
	// ("*.example.com").
	Host string
	// Path is empty (any) or a path; PathExact selects exact matching,
	// otherwise Path matches itself and everything below it (Ingress
	// pathType Prefix).
	Path      string
	PathExact bool
	// TargetGroup receives the matching requests, unless Forward is set.
	TargetGroup *TargetGroup
	// Forward spreads the matching requests over several target groups by
	// weight: a forward action with weighted target groups.
	Forward []WeightedTargetGroup
	// Source names what the rule came from (e.g. "default/web"), for logs.
	Source string
}

func (r Rule) matches(host, path string) bool {
	if r.Host != "" {
		h := strings.ToLower(host)
		if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
			h = h[:i]
		}
		if strings.HasPrefix(r.Host, "*.") {
			if !strings.HasSuffix(h, r.Host[1:]) || strings.Count(h, ".") != strings.Count(r.Host, ".") {
				return false
			}
		} else if h != strings.ToLower(r.Host) {
			return false
		}
	}
	if r.Path == "" || r.Path == "/" && !r.PathExact {
		return true
	}
	if r.PathExact {
		return path == r.Path
	}
	p := strings.TrimSuffix(r.Path, "/")
	return path == p || strings.HasPrefix(path, p+"/")
}

// LoadBalancer is a running lab ALB with one HTTP listener.
type LoadBalancer struct {
	cfg     Config
	arn     string
	created time.Time
	ln      net.Listener
	srv     *http.Server
	ctx     context.Context
	cancel  context.CancelFunc
	logMu   sync.Mutex

	mu     sync.RWMutex
	rules  []Rule
	groups map[string]*TargetGroup // by ARN

	evMu      sync.Mutex
	evQueue   []TargetChange
	evSignal  chan struct{}
	watchers  map[int]func(TargetChange)
	watcherID int
	done      chan struct{}
}

// Start validates cfg, listens and serves until Close or ctx ends.
func Start(ctx context.Context, cfg Config) (*LoadBalancer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("alb config: %w", err)
	}
	cfg = cfg.withDefaults()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("alb listen on %s: %w (pick a free port or 127.0.0.1:0)", cfg.Listen, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	lb := &LoadBalancer{
		cfg:      cfg,
		created:  time.Now().UTC(),
		ln:       ln,
		ctx:      ctx,
		cancel:   cancel,
		groups:   map[string]*TargetGroup{},
		evSignal: make(chan struct{}, 1),
		watchers: map[int]func(TargetChange){},
		done:     make(chan struct{}),
	}
	lb.arn = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", cfg.Region, cfg.AccountID, cfg.Name, shortID(cfg.Name+ln.Addr().String()))
	lb.srv = &http.Server{
		Handler:           lb,
		ReadHeaderTimeout: cfg.IdleTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	go lb.dispatch()
	go func() {
		if err := lb.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("alb listener stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		lb.shutdown()
	}()
	cfg.Logger.Info("alb listening", "addr", ln.Addr().String(), "arn", lb.arn)
	return lb, nil
}

func shortID(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// Addr is the listener's address (host:port).
func (lb *LoadBalancer) Addr() string { return lb.ln.Addr().String() }

// URL is the listener's base URL, e.g. http://127.0.0.1:41234.
func (lb *LoadBalancer) URL() string { return "http://" + lb.Addr() }

// DNSName is what the ELBv2 API reports as the load balancer's DNS name: the
// listener address.
func (lb *LoadBalancer) DNSName() string { return lb.Addr() }

// Created is when the load balancer started.
func (lb *LoadBalancer) Created() time.Time { return lb.created }

// ARN is the load balancer's Amazon Resource Name.
func (lb *LoadBalancer) ARN() string { return lb.arn }

// ListenerARN is the ARN of the load balancer's one listener.
func (lb *LoadBalancer) ListenerARN() string {
	return strings.Replace(lb.arn, ":loadbalancer/", ":listener/", 1) + "/" + shortID(lb.arn+" listener")
}

// ListenerPort is the listener's TCP port.
func (lb *LoadBalancer) ListenerPort() int { return lb.ln.Addr().(*net.TCPAddr).Port }

// RuleARN is the ARN of a listener rule. It stays the same while a rule of
// that source matches the same host and path, wherever the rule moves.
func (lb *LoadBalancer) RuleARN(r Rule) string {
	return lb.ruleARN(strings.Join([]string{r.Source, r.Host, r.Path, strconv.FormatBool(r.PathExact)}, "\x00"))
}

// DefaultRuleARN is the ARN of the listener's default rule, the one for
// requests no rule matches.
func (lb *LoadBalancer) DefaultRuleARN() string { return lb.ruleARN("default") }

func (lb *LoadBalancer) ruleARN(key string) string {
	return strings.Replace(lb.ListenerARN(), ":listener/", ":listener-rule/", 1) + "/" + shortID(lb.arn+" rule "+key)
}

// Name is the load balancer's name.
func (lb *LoadBalancer) Name() string { return lb.cfg.Name }

// Config returns the configuration with defaults applied.
func (lb *LoadBalancer) Config() Config { return lb.cfg }

// Close stops the listener, cuts every connection and stops health checks.
func (lb *LoadBalancer) Close() error {
	lb.cancel()
	<-lb.done
	return nil
}

func (lb *LoadBalancer) shutdown() {
	lb.srv.Close()
	lb.mu.Lock()
	for _, tg := range lb.groups {
		tg.close()
	}
	lb.mu.Unlock()
	close(lb.done)
}

// CreateTargetGroup adds a target group. Its name must be unique.
func (lb *LoadBalancer) CreateTargetGroup(cfg TargetGroupConfig) (*TargetGroup, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("target group %s: %w", cfg.Name, err)
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, g := range lb.groups {
		if g.Name() == cfg.Name {
			return nil, fmt.Errorf("target group %s already exists", cfg.Name)
		}
	}
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", lb.cfg.Region, lb.cfg.AccountID, cfg.Name, shortID(lb.arn+cfg.Name))
	tg := newTargetGroup(lb.ctx, arn, cfg, lb.targetDialer(), lb.enqueue)
	lb.groups[arn] = tg
	return tg, nil
}

// DeleteTargetGroup removes a target group that no rule uses, cutting its
// connections.
func (lb *LoadBalancer) DeleteTargetGroup(arn string) error {
	lb.mu.Lock()
	tg, ok := lb.groups[arn]
	if !ok {
		lb.mu.Unlock()
		return fmt.Errorf("target group %s not found", arn)
	}
	for _, r := range lb.rules {
		if r.uses(tg) {
			lb.mu.Unlock()
			return fmt.Errorf("target group %s is in use by a listener rule (%s)", tg.Name(), r.Source)
		}
	}
	delete(lb.groups, arn)
	lb.mu.Unlock()
	tg.close()
	return nil
}

// TargetGroups returns every target group sorted by name.
func (lb *LoadBalancer) TargetGroups() []*TargetGroup {
	lb.mu.RLock()
	defer lb.mu.RUnlock()
	out := make([]*TargetGroup, 0, len(lb.groups))
	for _, g := range lb.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// TargetGroup returns the group with that ARN or name.
func (lb *LoadBalancer) TargetGroup(arnOrName string) (*TargetGroup, bool) {
	lb.mu.RLock()
	defer lb.mu.RUnlock()
	if g, ok := lb.groups[arnOrName]; ok {
		return g, true
	}
	for _, g := range lb.groups {
		if g.Name() == arnOrName {
			return g, true
		}
	}
	return nil, false
}

// SetRules replaces the listener rules; the first matching rule wins.
// Requests no rule matches get the controller's default action, a 404.
func (lb *LoadBalancer) SetRules(rules []Rule) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.rules = append([]Rule(nil), rules...)
}

// Rules returns the current listener rules.
func (lb *LoadBalancer) Rules() []Rule {
	lb.mu.RLock()
	defer lb.mu.RUnlock()
	return append([]Rule(nil), lb.rules...)
}

func (lb *LoadBalancer) route(host, path string) (*Rule, bool) {
	lb.mu.RLock()
	defer lb.mu.RUnlock()
	for i := range lb.rules {
		if lb.rules[i].matches(host, path) {
			r := lb.rules[i]
			return &r, true
		}
	}
	return nil, false
}

// Watch calls fn with every target state change, in order, until the
// returned stop function is called. fn must not block for long.
func (lb *LoadBalancer) Watch(fn func(TargetChange)) (stop func()) {
	lb.evMu.Lock()
	defer lb.evMu.Unlock()
	lb.watcherID++
	id := lb.watcherID
	lb.watchers[id] = fn
	return func() {
		lb.evMu.Lock()
		defer lb.evMu.Unlock()
		delete(lb.watchers, id)
	}
}

func (lb *LoadBalancer) enqueue(c TargetChange) {
	lb.evMu.Lock()
	lb.evQueue = append(lb.evQueue, c)
	lb.evMu.Unlock()
	select {
	case lb.evSignal <- struct{}{}:
	default:
	}
	lb.cfg.Logger.Info("target state", "targetGroup", c.TargetGroup, "target", c.Target.Key(), "from", string(c.From), "to", string(c.To), "reason", c.Reason, "removed", c.Removed)
}

func (lb *LoadBalancer) dispatch() {
	for {
		select {
		case <-lb.ctx.Done():
			return
		case <-lb.evSignal:
		}
		lb.evMu.Lock()
		q := lb.evQueue
		lb.evQueue = nil
		ws := make([]func(TargetChange), 0, len(lb.watchers))
		ids := make([]int, 0, len(lb.watchers))
		for id := range lb.watchers {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			ws = append(ws, lb.watchers[id])
		}
		lb.evMu.Unlock()
		for _, c := range q {
			for _, w := range ws {
				w(c)
			}
		}
	}
}
