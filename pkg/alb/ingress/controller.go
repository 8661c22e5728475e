package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/drillkit/drill/pkg/alb/dataplane"
)

// Controller defaults.
const (
	// DefaultClass is the ingressClassName the controller serves.
	DefaultClass = "alb"
	// DefaultRegistrationDelay is the lab's controller and API propagation
	// delay between a change of endpoints or nodes and the target
	// (de)registration. AWS documents no number; users observe seconds to
	// about two minutes.
	DefaultRegistrationDelay = 5 * time.Second
	// DefaultClusterName tags the target groups (elbv2.k8s.aws/cluster).
	DefaultClusterName = "lab"
	// labelExcludeFromLB keeps a node out of instance target groups.
	labelExcludeFromLB = "node.kubernetes.io/exclude-from-external-load-balancers"
)

// Config configures a Controller.
type Config struct {
	// Client reaches the cluster.
	Client kubernetes.Interface
	// LoadBalancer is the ALB every Ingress of the class is routed through
	// (one implicit IngressGroup).
	LoadBalancer *dataplane.LoadBalancer
	// IngressClass: default DefaultClass.
	IngressClass string
	// ClusterName: default DefaultClusterName.
	ClusterName string
	// RegistrationDelay: default DefaultRegistrationDelay; NoDelay for none.
	RegistrationDelay time.Duration
	// Resync is how often every Ingress is reconciled again; default 30s.
	Resync time.Duration
	// Logger: nil uses the load balancer's.
	Logger *slog.Logger
}

// Controller keeps the ALB's rules, target groups and targets in step with
// Ingresses, Services, EndpointSlices and Nodes, writes the ALB address into
// Ingress status and sets pod readiness-gate conditions for ip targets.
// A work queue of Ingresses (namespace/name) drives it: an event reconciles
// the Ingresses it concerns, one at a time.
type Controller struct {
	cfg   Config
	lb    *dataplane.LoadBalancer
	log   *slog.Logger
	ready chan struct{}
	queue workqueue.TypedRateLimitingInterface[string]
	list  struct {
		ingresses networkinglisters.IngressLister
		services  corelisters.ServiceLister
		nodes     corelisters.NodeLister
		slices    discoverylisters.EndpointSliceLister
		pods      corelisters.PodLister
	}
	// index finds Ingresses by backend Service and EndpointSlices by Pod.
	index struct {
		ingresses, slices cache.Indexer
	}

	mu sync.Mutex
	// rules are the listener rules of each Ingress, by namespace/name.
	rules map[string][]dataplane.Rule
	// groups maps a target group name to what the controller built.
	groups map[string]*managedGroup
	// pending (de)registrations: key tg name + "|" + target key.
	pending map[string]*pendingOp
}

type managedGroup struct {
	tg *dataplane.TargetGroup
	// ingress is the namespace/name of the Ingress the group was made for.
	ingress  string
	settings groupSettings
	// pods maps target keys to pods (ip targets) for readiness gates.
	pods map[string]podRef
}

type podRef struct{ ns, name string }

type pendingOp struct {
	register bool
	spec     dataplane.TargetSpec
	timer    *time.Timer
}

// NewController validates cfg.
func NewController(cfg Config) (*Controller, error) {
	if cfg.Client == nil || cfg.LoadBalancer == nil {
		return nil, errors.New("alb controller needs a Kubernetes client and a load balancer")
	}
	if cfg.IngressClass == "" {
		cfg.IngressClass = DefaultClass
	}
	if cfg.ClusterName == "" {
		cfg.ClusterName = DefaultClusterName
	}
	switch {
	case cfg.RegistrationDelay == 0:
		cfg.RegistrationDelay = DefaultRegistrationDelay
	case cfg.RegistrationDelay < 0:
		cfg.RegistrationDelay = 0
	}
	if cfg.Resync == 0 {
		cfg.Resync = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = cfg.LoadBalancer.Config().Logger
	}
	return &Controller{cfg: cfg, lb: cfg.LoadBalancer, log: cfg.Logger, ready: make(chan struct{}),
		rules: map[string][]dataplane.Rule{}, groups: map[string]*managedGroup{}, pending: map[string]*pendingOp{}}, nil
}

// Synced is closed once the caches are filled and every Ingress there was
// then has been reconciled.
func (c *Controller) Synced() <-chan struct{} { return c.ready }

// Run watches the cluster and reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	c.queue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "alb-ingress"})
	defer c.queue.ShutDown()
	f := informers.NewSharedInformerFactory(c.cfg.Client, c.cfg.Resync)
	handlers, err := c.watch(f)
	if err != nil {
		return fmt.Errorf("alb controller: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("alb controller: cache of %v did not sync", typ)
		}
	}
	if !cache.WaitForCacheSync(ctx.Done(), handlers...) {
		return fmt.Errorf("alb controller: %w", ctx.Err())
	}
	stop := c.lb.Watch(func(tc dataplane.TargetChange) { c.onTargetChange(ctx, tc) })
	defer stop()
	defer c.stopPending()
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	// The handlers have seen every object in the caches: each Ingress is
	// queued once.
	initial := c.queue.Len()
	for n := 0; ; n++ {
		if n == initial {
			close(c.ready)
		}
		key, shutdown := c.queue.Get()
		if shutdown {
			return nil
		}
		c.process(ctx, key)
		c.queue.Done(key)
	}
}

// process reconciles one Ingress; a failure is tried again later, backing
// off.
func (c *Controller) process(ctx context.Context, key string) {
	if err := c.sync(ctx, key); err != nil {
		c.log.Debug("ingress reconcile failed, will retry", "ingress", key, "err", err)
		c.queue.AddRateLimited(key)
		return
	}
	c.queue.Forget(key)
}

// ourIngresses returns the keys of every Ingress of the class, sorted.
func (c *Controller) ourIngresses() []string {
	ings, err := c.list.ingresses.List(labels.Everything())
	if err != nil {
		c.log.Error("list ingresses", "err", err)
		return nil
	}
	var keys []string
	for _, ing := range ings {
		if c.isOurs(ing) {
			keys = append(keys, ingressKey(ing))
		}
	}
	sort.Strings(keys)
	return keys
}

// sync makes the ALB match one Ingress (namespace/name): its rules, target
// groups and targets, its status and its pods' readiness gates. An Ingress
// that is gone, being deleted or of another class loses its rules and
// target groups.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	ing, err := c.list.ingresses.Ingresses(ns).Get(name)
	if apierrors.IsNotFound(err) || err == nil && (!c.isOurs(ing) || ing.DeletionTimestamp != nil) {
		c.setRules(key, nil)
		c.removeGroups(key, nil)
		return nil
	}
	if err != nil {
		return err
	}
	m, err := c.build(ing)
	if err != nil {
		c.log.Warn("ingress not fully reconciled", "ingress", key, "err", err)
		c.event(ctx, ing, "FailedBuildModel", err.Error())
	}
	// Create or update target groups, then register targets.
	groups := map[string]*dataplane.TargetGroup{}
	for name, dg := range m.groups {
		tg, err := c.ensureGroup(dg)
		if err != nil {
			c.log.Error("target group", "name", name, "err", err)
			c.event(ctx, dg.ingress, "FailedDeployModel", err.Error())
			continue
		}
		groups[name] = tg
		c.syncTargets(dg, tg)
	}
	c.setRules(key, m.resolve(groups))
	c.removeGroups(key, m.groups)
	err = c.updateStatus(ctx, ing)
	c.syncReadinessGates(ctx, key)
	return err
}

// setRules records an Ingress's listener rules (none: nil) and gives the
// load balancer the rules of every Ingress, in Ingress order, sorted like
// listener rule priorities.
func (c *Controller) setRules(ingress string, rules []dataplane.Rule) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(rules) == 0 {
		delete(c.rules, ingress)
	} else {
		c.rules[ingress] = rules
	}
	keys := make([]string, 0, len(c.rules))
	for k := range c.rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var all []dataplane.Rule
	for _, k := range keys {
		all = append(all, c.rules[k]...)
	}
	sortRules(all)
	c.lb.SetRules(all)
}

func (c *Controller) stopPending() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.pending {
		p.timer.Stop()
		delete(c.pending, k)
	}
}
