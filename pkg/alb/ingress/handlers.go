package ingress

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// Indexes of the informers' caches.
const (
	// byService indexes Ingresses by the namespace/name of every Service
	// their backends (forward actions included) send to.
	byService = "service"
	// byPod indexes EndpointSlices by the namespace/name of every Pod their
	// endpoints refer to.
	byPod = "pod"
)

// watch sets up the informers: each event queues the Ingresses it
// concerns. An Ingress concerns itself; a Service or EndpointSlice, the
// Ingresses whose backends name the Service; a Pod, the Ingresses of the
// Services whose EndpointSlices list it (readiness gates and ContainersReady
// decide which endpoints are targets); a Node, every Ingress (instance
// targets), when its readiness, address or exclusion label changes. It
// returns, for each handler, whether it has seen every object in its cache.
func (c *Controller) watch(f informers.SharedInformerFactory) ([]cache.InformerSynced, error) {
	ing := f.Networking().V1().Ingresses()
	svc := f.Core().V1().Services()
	eps := f.Discovery().V1().EndpointSlices()
	pod := f.Core().V1().Pods()
	node := f.Core().V1().Nodes()
	if err := ing.Informer().AddIndexers(cache.Indexers{byService: ingressServices}); err != nil {
		return nil, err
	}
	if err := eps.Informer().AddIndexers(cache.Indexers{byPod: slicePods}); err != nil {
		return nil, err
	}
	c.list.ingresses, c.list.services, c.list.slices, c.list.pods, c.list.nodes = ing.Lister(), svc.Lister(), eps.Lister(), pod.Lister(), node.Lister()
	c.index.ingresses, c.index.slices = ing.Informer().GetIndexer(), eps.Informer().GetIndexer()

	// Every Ingress update counts, resyncs included: they are the periodic
	// reconcile of every Ingress.
	ingHandler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.enqueueObject(obj) },
		UpdateFunc: func(_, obj any) { c.enqueueObject(obj) },
		DeleteFunc: func(obj any) { c.enqueueObject(obj) },
	}
	nodeHandler := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { c.enqueue(c.ourIngresses()) },
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Node)
			n, ok2 := cur.(*corev1.Node)
			if !ok1 || !ok2 || nodeTargetOf(o) != nodeTargetOf(n) {
				c.enqueue(c.ourIngresses())
			}
		},
		DeleteFunc: func(any) { c.enqueue(c.ourIngresses()) },
	}
	var synced []cache.InformerSynced
	for _, h := range []struct {
		inf     cache.SharedIndexInformer
		handler cache.ResourceEventHandler
	}{
		{ing.Informer(), ingHandler},
		{svc.Informer(), c.handler(c.serviceIngresses)},
		{eps.Informer(), c.handler(c.sliceIngresses)},
		{pod.Informer(), c.handler(c.podIngresses)},
		{node.Informer(), nodeHandler},
	} {
		reg, err := h.inf.AddEventHandler(h.handler)
		if err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
		synced = append(synced, reg.HasSynced)
	}
	return synced, nil
}

// handler queues the Ingresses that ingresses finds for the object of an
// event, for an update both the old and the new object's. Updates that
// change nothing (resyncs) are skipped: the Ingresses' own resyncs reconcile
// everything anyway.
func (c *Controller) handler(ingresses func(obj any) []string) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.enqueue(ingresses(obj)) },
		UpdateFunc: func(old, cur any) {
			if sameVersion(old, cur) {
				return
			}
			c.enqueue(ingresses(old))
			c.enqueue(ingresses(cur))
		},
		DeleteFunc: func(obj any) { c.enqueue(ingresses(tombstoned(obj))) },
	}
}

func (c *Controller) enqueue(keys []string) {
	for _, k := range keys {
		c.queue.Add(k)
	}
}

func (c *Controller) enqueueObject(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		c.log.Warn("ingress event without a key", "err", err)
		return
	}
	c.queue.Add(key)
}

// serviceIngresses returns the Ingresses of the class whose backends send
// to the Service obj.
func (c *Controller) serviceIngresses(obj any) []string {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return nil
	}
	return c.ingressesFor(s.Namespace, s.Name)
}

// sliceIngresses returns the Ingresses of the class whose backends send to
// the Service of the EndpointSlice obj.
func (c *Controller) sliceIngresses(obj any) []string {
	es, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || es.Labels[discoveryv1.LabelServiceName] == "" {
		return nil
	}
	return c.ingressesFor(es.Namespace, es.Labels[discoveryv1.LabelServiceName])
}

// podIngresses returns the Ingresses of the class whose backends send to a
// Service whose EndpointSlices list the Pod obj.
func (c *Controller) podIngresses(obj any) []string {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil
	}
	slices, err := c.index.slices.ByIndex(byPod, p.Namespace+"/"+p.Name)
	if err != nil {
		c.log.Warn("endpoint slices of pod", "pod", p.Namespace+"/"+p.Name, "err", err)
		return nil
	}
	var keys []string
	for _, obj := range slices {
		keys = append(keys, c.sliceIngresses(obj)...)
	}
	return keys
}

// ingressesFor returns the Ingresses of the class whose backends send to
// the Service namespace/name.
func (c *Controller) ingressesFor(namespace, service string) []string {
	objs, err := c.index.ingresses.ByIndex(byService, namespace+"/"+service)
	if err != nil {
		c.log.Warn("ingresses of service", "service", namespace+"/"+service, "err", err)
		return nil
	}
	var keys []string
	for _, obj := range objs {
		if ing, ok := obj.(*networkingv1.Ingress); ok && c.isOurs(ing) {
			keys = append(keys, ingressKey(ing))
		}
	}
	return keys
}

// ingressServices is the byService index: the namespace/name of every
// Service the Ingress's backends send to. A forward action that does not
// parse names none (the Ingress reports it when it is reconciled).
func ingressServices(obj any) ([]string, error) {
	ing, ok := obj.(*networkingv1.Ingress)
	if !ok {
		return nil, nil
	}
	var keys []string
	eachBackend(ing, func(_, _ string, _ bool, b *networkingv1.IngressBackend) {
		if b == nil || b.Service == nil {
			return
		}
		backends, _ := serviceBackends(ing, b.Service)
		for _, wb := range backends {
			keys = append(keys, ing.Namespace+"/"+wb.backend.Name)
		}
	})
	return keys, nil
}

// slicePods is the byPod index: the namespace/name of every Pod the
// EndpointSlice's endpoints refer to.
func slicePods(obj any) ([]string, error) {
	es, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, ep := range es.Endpoints {
		if r := ep.TargetRef; r != nil && r.Kind == "Pod" {
			keys = append(keys, r.Namespace+"/"+r.Name)
		}
	}
	return keys, nil
}

// nodeTarget is what makes a node an instance target or not: readiness,
// address and the exclusion label.
type nodeTarget struct {
	ready    bool
	ip       string
	excluded bool
}

func nodeTargetOf(n *corev1.Node) nodeTarget {
	_, excluded := n.Labels[labelExcludeFromLB]
	return nodeTarget{ready: nodeReady(n), ip: nodeIP(n), excluded: excluded}
}

// sameVersion reports whether an update is a resync: both objects have the
// same resource version (an object without one may have changed).
func sameVersion(old, cur any) bool {
	o, err1 := meta.Accessor(old)
	n, err2 := meta.Accessor(cur)
	return err1 == nil && err2 == nil && o.GetResourceVersion() != "" && o.GetResourceVersion() == n.GetResourceVersion()
}

// tombstoned returns the object of a delete event whose final state the
// informer missed.
func tombstoned(obj any) any {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return d.Obj
	}
	return obj
}
