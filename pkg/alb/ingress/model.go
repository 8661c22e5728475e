package ingress

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/awslb"
)

// model is what one Ingress asks for: target groups, and rules that name
// them with their weights.
type model struct {
	groups map[string]*desiredGroup
	rules  []modelRule
}

// modelRule is a listener rule whose target groups are still names.
type modelRule struct {
	rule   dataplane.Rule
	groups []weightedGroup
}

type weightedGroup struct {
	name   string
	weight int
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

// isOurs reports whether the Ingress is of the controller's class.
func (c *Controller) isOurs(ing *networkingv1.Ingress) bool {
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName == c.cfg.IngressClass
	}
	return ing.Annotations[awslb.AnnIngressClassDeprecated] == c.cfg.IngressClass
}

// ingressKey is the Ingress's namespace/name: its key in the work queue and
// the source of its rules.
func ingressKey(ing *networkingv1.Ingress) string { return ing.Namespace + "/" + ing.Name }

// build makes the model of an Ingress. It reports every problem; a rule with
// a backend that has one is left out.
func (c *Controller) build(ing *networkingv1.Ingress) (model, error) {
	m := model{groups: map[string]*desiredGroup{}}
	var errs []error
	eachBackend(ing, func(host, path string, exact bool, b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil {
			errs = append(errs, fmt.Errorf("rule %s%s: only service backends are supported", host, path))
			return
		}
		backends, err := serviceBackends(ing, b.Service)
		if err != nil {
			errs = append(errs, err)
			return
		}
		mr := modelRule{rule: dataplane.Rule{Host: host, Path: path, PathExact: exact, Source: ingressKey(ing)}}
		for _, wb := range backends {
			dg, err := c.desiredFor(ing, wb.backend)
			if err != nil {
				errs = append(errs, err)
				return
			}
			if old, ok := m.groups[dg.name]; ok {
				dg = old
			} else {
				m.groups[dg.name] = dg
			}
			mr.groups = append(mr.groups, weightedGroup{dg.name, wb.weight})
		}
		m.rules = append(m.rules, mr)
	})
	return m, errors.Join(errs...)
}

// eachBackend calls fn for every backend of the Ingress with its rule's host
// and path; the default backend comes last, with neither.
func eachBackend(ing *networkingv1.Ingress, fn func(host, path string, exact bool, b *networkingv1.IngressBackend)) {
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			exact := p.PathType != nil && *p.PathType == networkingv1.PathTypeExact
			fn(r.Host, p.Path, exact, &p.Backend)
		}
	}
	if ing.Spec.DefaultBackend != nil {
		fn("", "", false, ing.Spec.DefaultBackend)
	}
}

// resolve turns the model's rules into listener rules over the target groups
// that exist; a rule missing one of its groups is left out.
func (m model) resolve(groups map[string]*dataplane.TargetGroup) []dataplane.Rule {
	var rules []dataplane.Rule
	for _, mr := range m.rules {
		r, complete := mr.rule, true
		for _, wg := range mr.groups {
			tg, ok := groups[wg.name]
			complete = complete && ok
			r.Forward = append(r.Forward, dataplane.WeightedTargetGroup{TargetGroup: tg, Weight: wg.weight})
		}
		if !complete {
			continue
		}
		if len(r.Forward) == 1 && r.Forward[0].Weight > 0 {
			r.TargetGroup, r.Forward = r.Forward[0].TargetGroup, nil
		}
		rules = append(rules, r)
	}
	return rules
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
	svc, err := c.list.services.Services(ing.Namespace).Get(b.Name)
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
		nodes, err := c.list.nodes.List(labels.Everything())
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
		slices, err := c.list.slices.EndpointSlices(svc.Namespace).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name}))
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
	pod, err := c.list.pods.Pods(ep.TargetRef.Namespace).Get(ep.TargetRef.Name)
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
