package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/awslb"
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
	// Resync is the periodic full reconcile; default 30s.
	Resync time.Duration
	// Logger: nil uses the load balancer's.
	Logger *slog.Logger
}

// Controller keeps the ALB's rules, target groups and targets in step with
// Ingresses, Services, EndpointSlices and Nodes, writes the ALB address into
// Ingress status and sets pod readiness-gate conditions for ip targets.
type Controller struct {
	cfg    Config
	lb     *dataplane.LoadBalancer
	log    *slog.Logger
	kick   chan struct{}
	ready  chan struct{}
	lister struct {
		ing   func() ([]*networkingv1.Ingress, error)
		svc   func(ns, name string) (*corev1.Service, error)
		nodes func() ([]*corev1.Node, error)
		eps   func(ns, svc string) ([]*discoveryv1.EndpointSlice, error)
		pod   func(ns, name string) (*corev1.Pod, error)
	}

	mu sync.Mutex
	// groups maps a target group name to what the controller built.
	groups map[string]*managedGroup
	// pending (de)registrations: key tg name + "|" + target key.
	pending map[string]*pendingOp
}

type managedGroup struct {
	tg       *dataplane.TargetGroup
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
	return &Controller{cfg: cfg, lb: cfg.LoadBalancer, log: cfg.Logger, kick: make(chan struct{}, 1), ready: make(chan struct{}),
		groups: map[string]*managedGroup{}, pending: map[string]*pendingOp{}}, nil
}

// Synced is closed once the caches are filled and the first reconcile ran.
func (c *Controller) Synced() <-chan struct{} { return c.ready }

// Run watches the cluster and reconciles until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	f := informers.NewSharedInformerFactory(c.cfg.Client, c.cfg.Resync)
	ingInf := f.Networking().V1().Ingresses()
	svcInf := f.Core().V1().Services()
	nodeInf := f.Core().V1().Nodes()
	epsInf := f.Discovery().V1().EndpointSlices()
	podInf := f.Core().V1().Pods()
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { c.trigger() },
		UpdateFunc: func(any, any) { c.trigger() },
		DeleteFunc: func(any) { c.trigger() },
	}
	for _, inf := range []cache.SharedIndexInformer{ingInf.Informer(), svcInf.Informer(), nodeInf.Informer(), epsInf.Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return fmt.Errorf("alb controller: %w", err)
		}
	}
	// Pods matter only for readiness gates and ContainersReady.
	if _, err := podInf.Informer().AddEventHandler(h); err != nil {
		return fmt.Errorf("alb controller: %w", err)
	}
	c.lister.ing = func() ([]*networkingv1.Ingress, error) { return ingInf.Lister().List(labels.Everything()) }
	c.lister.svc = func(ns, name string) (*corev1.Service, error) { return svcInf.Lister().Services(ns).Get(name) }
	c.lister.nodes = func() ([]*corev1.Node, error) { return nodeInf.Lister().List(labels.Everything()) }
	c.lister.eps = func(ns, svc string) ([]*discoveryv1.EndpointSlice, error) {
		return epsInf.Lister().EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc}))
	}
	c.lister.pod = func(ns, name string) (*corev1.Pod, error) { return podInf.Lister().Pods(ns).Get(name) }
	f.Start(ctx.Done())
	defer f.Shutdown()
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("alb controller: cache of %v did not sync", typ)
		}
	}
	stop := c.lb.Watch(func(tc dataplane.TargetChange) { c.onTargetChange(ctx, tc) })
	defer stop()
	defer c.stopPending()
	c.reconcile(ctx)
	close(c.ready)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.kick:
		}
		// Coalesce bursts of events into one reconcile.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		c.reconcile(ctx)
	}
}

func (c *Controller) trigger() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Controller) stopPending() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.pending {
		p.timer.Stop()
		delete(c.pending, k)
	}
}

// desiredGroup is one target group as the cluster asks for it.
type desiredGroup struct {
	name     string
	ingress  *networkingv1.Ingress
	svc      *corev1.Service
	port     corev1.ServicePort
	settings groupSettings
	targets  map[string]dataplane.TargetSpec
	pods     map[string]podRef
}

// GroupName is the target group name made for a backend, in the AWS Load
// Balancer Controller's form: k8s-<namespace>-<service>-<10 hex>, with
// namespace and service cut to 8 characters and the hash covering the
// Ingress, Service and port.
func GroupName(namespace, ingress, service string, port int32) string {
	cut := func(s string) string {
		if len(s) > 8 {
			return s[:8]
		}
		return s
	}
	h := sha256.Sum256([]byte(namespace + "/" + ingress + "/" + service + ":" + strconv.Itoa(int(port))))
	return "k8s-" + cut(namespace) + "-" + cut(service) + "-" + hex.EncodeToString(h[:])[:10]
}

func (c *Controller) isOurs(ing *networkingv1.Ingress) bool {
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName == c.cfg.IngressClass
	}
	return ing.Annotations[awslb.AnnIngressClassDeprecated] == c.cfg.IngressClass
}

// reconcile makes the ALB match the cluster.
func (c *Controller) reconcile(ctx context.Context) {
	ings, err := c.lister.ing()
	if err != nil {
		c.log.Error("list ingresses", "err", err)
		return
	}
	sort.Slice(ings, func(i, j int) bool {
		return ings[i].Namespace+"/"+ings[i].Name < ings[j].Namespace+"/"+ings[j].Name
	})
	desired := map[string]*desiredGroup{}
	var rules []dataplane.Rule
	type weightedName struct {
		group  string
		weight int
	}
	type pendingRule struct {
		r      dataplane.Rule
		groups []weightedName
	}
	var prules []pendingRule
	var served []*networkingv1.Ingress
	for _, ing := range ings {
		if !c.isOurs(ing) || ing.DeletionTimestamp != nil {
			continue
		}
		source := ing.Namespace + "/" + ing.Name
		var errs []error
		add := func(host, path string, exact bool, b *networkingv1.IngressBackend) {
			if b == nil || b.Service == nil {
				errs = append(errs, fmt.Errorf("rule %s%s: only service backends are supported", host, path))
				return
			}
			backends := []weightedBackend{{backend: b.Service, weight: 1}}
			if isAction(b.Service) {
				a, err := awslb.ParseAction(ing.Annotations, b.Service.Name)
				if err != nil {
					errs = append(errs, err)
					return
				}
				backends = actionBackends(a)
			}
			pr := pendingRule{r: dataplane.Rule{Host: host, Path: path, PathExact: exact, Source: source}}
			for _, wb := range backends {
				dg, err := c.desiredFor(ing, wb.backend)
				if err != nil {
					errs = append(errs, err)
					return
				}
				if old, ok := desired[dg.name]; ok {
					dg = old
				} else {
					desired[dg.name] = dg
				}
				pr.groups = append(pr.groups, weightedName{dg.name, wb.weight})
			}
			prules = append(prules, pr)
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				exact := p.PathType != nil && *p.PathType == networkingv1.PathTypeExact
				add(r.Host, p.Path, exact, &p.Backend)
			}
		}
		if ing.Spec.DefaultBackend != nil {
			add("", "", false, ing.Spec.DefaultBackend)
		}
		if len(errs) > 0 {
			err := errors.Join(errs...)
			c.log.Warn("ingress not fully reconciled", "ingress", source, "err", err)
			c.event(ctx, ing, "FailedBuildModel", err.Error())
		}
		served = append(served, ing)
	}
	// Create or update target groups, then register targets.
	groups := map[string]*dataplane.TargetGroup{}
	for name, dg := range desired {
		tg, err := c.ensureGroup(dg)
		if err != nil {
			c.log.Error("target group", "name", name, "err", err)
			c.event(ctx, dg.ingress, "FailedDeployModel", err.Error())
			continue
		}
		groups[name] = tg
		c.syncTargets(dg, tg)
	}
	for _, pr := range prules {
		complete := true
		for _, wn := range pr.groups {
			tg, ok := groups[wn.group]
			complete = complete && ok
			pr.r.Forward = append(pr.r.Forward, dataplane.WeightedTargetGroup{TargetGroup: tg, Weight: wn.weight})
		}
		if !complete {
			continue
		}
		if len(pr.r.Forward) == 1 && pr.r.Forward[0].Weight > 0 {
			pr.r.TargetGroup, pr.r.Forward = pr.r.Forward[0].TargetGroup, nil
		}
		rules = append(rules, pr.r)
	}
	sortRules(rules)
	c.lb.SetRules(rules)
	// Remove groups nothing asks for any more.
	c.mu.Lock()
	var gone []*managedGroup
	for name, mg := range c.groups {
		if _, ok := desired[name]; !ok {
			gone = append(gone, mg)
			delete(c.groups, name)
			for k, p := range c.pending {
				if strings.HasPrefix(k, name+"|") {
					p.timer.Stop()
					delete(c.pending, k)
				}
			}
		}
	}
	c.mu.Unlock()
	for _, mg := range gone {
		if err := c.lb.DeleteTargetGroup(mg.tg.ARN()); err != nil {
			c.log.Warn("delete target group", "name", mg.tg.Name(), "err", err)
		}
	}
	for _, ing := range served {
		c.updateStatus(ctx, ing)
	}
	c.syncReadinessGates(ctx)
}

// sortRules orders rules like listener rule priorities would: host rules
// before catch-all, exact paths before prefixes, longer prefixes first;
// otherwise Ingress order.
func sortRules(rules []dataplane.Rule) {
	sort.SliceStable(rules, func(i, j int) bool {
		a, b := rules[i], rules[j]
		if (a.Host != "") != (b.Host != "") {
			return a.Host != ""
		}
		if a.PathExact != b.PathExact {
			return a.PathExact
		}
		return len(a.Path) > len(b.Path)
	})
}

func (c *Controller) desiredFor(ing *networkingv1.Ingress, b *networkingv1.IngressServiceBackend) (*desiredGroup, error) {
	svc, err := c.lister.svc(ing.Namespace, b.Name)
	if err != nil {
		return nil, fmt.Errorf("backend service %s/%s: %w", ing.Namespace, b.Name, err)
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if b.Port.Name != "" && p.Name == b.Port.Name || b.Port.Name == "" && p.Port == b.Port.Number {
			sp = p
		}
	}
	if sp == nil {
		return nil, fmt.Errorf("backend service %s/%s has no port %s", ing.Namespace, b.Name, portText(b.Port))
	}
	settings, err := parseAnnotations(ing.Annotations, svc.Annotations)
	if err != nil {
		return nil, fmt.Errorf("annotations for backend %s: %w", b.Name, err)
	}
	dg := &desiredGroup{
		name: GroupName(ing.Namespace, ing.Name, svc.Name, sp.Port), ingress: ing, svc: svc, port: *sp, settings: settings,
		targets: map[string]dataplane.TargetSpec{}, pods: map[string]podRef{},
	}
	switch settings.targetType {
	case awslb.TargetTypeInstance:
		if sp.NodePort == 0 {
			return nil, fmt.Errorf("backend service %s/%s is type %s: target-type instance needs a NodePort or LoadBalancer service (or set %s: ip)", svc.Namespace, svc.Name, svc.Spec.Type, awslb.AnnTargetType)
		}
		nodes, err := c.lister.nodes()
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			if _, excluded := n.Labels[labelExcludeFromLB]; excluded || !nodeReady(n) {
				continue
			}
			ip := nodeIP(n)
			if ip == "" {
				continue
			}
			s := dataplane.TargetSpec{ID: n.Name, Port: int(sp.NodePort), Addr: net.JoinHostPort(ip, strconv.Itoa(int(sp.NodePort)))}
			dg.targets[s.Key()] = s
		}
	case awslb.TargetTypeIP:
		slices, err := c.lister.eps(svc.Namespace, svc.Name)
		if err != nil {
			return nil, err
		}
		gate := corev1.PodConditionType(awslb.ReadinessGatePrefix + dg.name)
		for _, es := range slices {
			if es.AddressType != discoveryv1.AddressTypeIPv4 {
				continue
			}
			var port int32
			for _, p := range es.Ports {
				if p.Port != nil && (p.Name == nil && sp.Name == "" || p.Name != nil && *p.Name == sp.Name) {
					port = *p.Port
				}
			}
			if port == 0 {
				continue
			}
			for _, ep := range es.Endpoints {
				if len(ep.Addresses) == 0 || !c.eligible(ep, gate) {
					continue
				}
				s := dataplane.TargetSpec{ID: ep.Addresses[0], Port: int(port), Addr: net.JoinHostPort(ep.Addresses[0], strconv.Itoa(int(port)))}
				dg.targets[s.Key()] = s
				if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
					dg.pods[s.Key()] = podRef{ep.TargetRef.Namespace, ep.TargetRef.Name}
				}
			}
		}
	}
	return dg, nil
}

// eligible says whether an endpoint is registered as an ip target: ready
// endpoints are; so are not-ready, not-terminating endpoints whose pod waits
// only for this target group's readiness gate (its containers are ready).
func (c *Controller) eligible(ep discoveryv1.Endpoint, gate corev1.PodConditionType) bool {
	if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
		return true
	}
	if ep.Conditions.Terminating != nil && *ep.Conditions.Terminating || ep.TargetRef == nil {
		return false
	}
	pod, err := c.lister.pod(ep.TargetRef.Namespace, ep.TargetRef.Name)
	if err != nil || pod.DeletionTimestamp != nil {
		return false
	}
	hasGate := false
	for _, g := range pod.Spec.ReadinessGates {
		hasGate = hasGate || g.ConditionType == gate
	}
	return hasGate && podCondition(pod, corev1.ContainersReady) == corev1.ConditionTrue
}

func portText(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func nodeIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}

// ensureGroup creates the target group or applies changed annotations.
func (c *Controller) ensureGroup(dg *desiredGroup) (*dataplane.TargetGroup, error) {
	c.mu.Lock()
	mg, ok := c.groups[dg.name]
	c.mu.Unlock()
	hc := dg.settings.health.WithDefaults()
	if !ok {
		cfg := dataplane.TargetGroupConfig{
			Name: dg.name, TargetType: dg.settings.targetType, Port: int(dg.port.Port), HealthCheck: hc,
			Tags: map[string]string{
				"ingress.k8s.aws/stack":    dg.ingress.Namespace + "/" + dg.ingress.Name,
				"ingress.k8s.aws/resource": dg.ingress.Namespace + "/" + dg.ingress.Name + "-" + dg.svc.Name + ":" + strconv.Itoa(int(dg.port.Port)),
				"elbv2.k8s.aws/cluster":    c.cfg.ClusterName,
			},
		}
		if dg.settings.targetType == awslb.TargetTypeInstance {
			cfg.Port = int(dg.port.NodePort)
		}
		if dg.settings.delaySet {
			cfg.DeregistrationDelay = dg.settings.delay
			if cfg.DeregistrationDelay == 0 {
				cfg.DeregistrationDelay = dataplane.NoDelay
			}
		}
		tg, err := c.lb.CreateTargetGroup(cfg)
		if err != nil {
			return nil, err
		}
		c.log.Info("target group created", "name", dg.name, "type", cfg.TargetType, "ingress", dg.ingress.Namespace+"/"+dg.ingress.Name, "service", dg.svc.Name)
		mg = &managedGroup{tg: tg, settings: dg.settings, pods: dg.pods}
		c.mu.Lock()
		c.groups[dg.name] = mg
		c.mu.Unlock()
		return tg, nil
	}
	// Apply only what the annotations changed, so a delay changed through
	// the API (ModifyTargetGroupAttributes) stays until the annotation does.
	if mg.settings.health != dg.settings.health {
		if err := mg.tg.SetHealthCheck(hc); err != nil {
			return nil, err
		}
	}
	if mg.settings.delaySet != dg.settings.delaySet || mg.settings.delay != dg.settings.delay {
		d := dataplane.DefaultDeregistrationDelay
		if dg.settings.delaySet {
			d = dg.settings.delay
		}
		if err := mg.tg.SetDeregistrationDelay(d); err != nil {
			return nil, err
		}
	}
	if mg.settings.targetType != dg.settings.targetType {
		c.log.Warn("target type changed: delete and recreate the Ingress to apply it", "targetGroup", dg.name)
	}
	c.mu.Lock()
	mg.settings, mg.pods = dg.settings, mergePods(mg.pods, dg.pods)
	c.mu.Unlock()
	return mg.tg, nil
}

// mergePods keeps pod references of targets that may still be draining.
func mergePods(old, cur map[string]podRef) map[string]podRef {
	out := make(map[string]podRef, len(cur))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range cur {
		out[k] = v
	}
	return out
}

// syncTargets schedules (de)registrations after the registration delay.
func (c *Controller) syncTargets(dg *desiredGroup, tg *dataplane.TargetGroup) {
	registered := map[string]dataplane.TargetSpec{}
	for _, s := range tg.Targets() {
		registered[s.Key()] = s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	schedule := func(s dataplane.TargetSpec, register bool) {
		key := dg.name + "|" + s.Key()
		if p, ok := c.pending[key]; ok {
			if p.register == register {
				return
			}
			p.timer.Stop()
			delete(c.pending, key)
			return // the earlier opposite change never happened
		}
		p := &pendingOp{register: register, spec: s}
		p.timer = time.AfterFunc(c.cfg.RegistrationDelay, func() {
			c.mu.Lock()
			if c.pending[key] != p {
				c.mu.Unlock()
				return
			}
			delete(c.pending, key)
			c.mu.Unlock()
			if register {
				tg.Register(s)
			} else {
				tg.Deregister(s.Key())
			}
			c.log.Info("target", "op", map[bool]string{true: "register", false: "deregister"}[register], "targetGroup", tg.Name(), "target", s.Key())
		})
		c.pending[key] = p
	}
	for k, s := range dg.targets {
		if _, ok := registered[k]; !ok {
			schedule(s, true)
		} else if p, ok := c.pending[dg.name+"|"+k]; ok && !p.register {
			p.timer.Stop()
			delete(c.pending, dg.name+"|"+k)
		}
	}
	for k, s := range registered {
		if _, ok := dg.targets[k]; !ok {
			schedule(s, false)
		} else if p, ok := c.pending[dg.name+"|"+k]; ok && p.register {
			p.timer.Stop()
			delete(c.pending, dg.name+"|"+k)
		}
	}
}

// updateStatus writes the ALB address into the Ingress status.
func (c *Controller) updateStatus(ctx context.Context, ing *networkingv1.Ingress) {
	host, port, err := net.SplitHostPort(c.lb.Addr())
	if err != nil {
		return
	}
	p, _ := strconv.Atoi(port)
	want := []networkingv1.IngressLoadBalancerIngress{{IP: host, Ports: []networkingv1.IngressPortStatus{{Port: int32(p), Protocol: corev1.ProtocolTCP}}}}
	cur := ing.Status.LoadBalancer.Ingress
	if len(cur) == 1 && cur[0].IP == host && len(cur[0].Ports) == 1 && cur[0].Ports[0].Port == int32(p) {
		return
	}
	upd := ing.DeepCopy()
	upd.Status.LoadBalancer.Ingress = want
	if _, err := c.cfg.Client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		c.log.Warn("ingress status", "ingress", ing.Namespace+"/"+ing.Name, "err", err)
	}
}

func (c *Controller) event(ctx context.Context, ing *networkingv1.Ingress, reason, msg string) {
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: ing.Name + ".", Namespace: ing.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespace: ing.Namespace, Name: ing.Name, UID: ing.UID},
		Reason:         reason, Message: msg, Type: corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "drill-lab-alb"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := c.cfg.Client.CoreV1().Events(ing.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		c.log.Debug("event", "err", err)
	}
}
