package sample

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/drillkit/drill/pkg/report"
)

// Endpoints is the state of one Service's endpoints, summed over its
// EndpointSlices (an address listed twice during a slice change counts
// once).
type Endpoints struct {
	// Service is the Service name (in the watched namespace).
	Service string
	// Time is when the change was seen.
	Time time.Time
	// Initial is true for the state found when the watch started.
	Initial bool
	// Ready are the addresses receiving new connections (ready, not
	// terminating).
	Ready []string
	// Terminating are the addresses of terminating endpoints; of them,
	// TerminatingServing still pass their readiness probe (kube-proxy
	// sends them traffic only when no endpoint is ready).
	Terminating        []string
	TerminatingServing []string
	// NotReady are the other addresses (not ready and not terminating).
	NotReady []string
}

// Message is a one-line account for the timeline, e.g.
// "service echo: 3 ready, 1 terminating (1 serving)".
func (e Endpoints) Message() string {
	msg := fmt.Sprintf("service %s: %d ready", e.Service, len(e.Ready))
	if len(e.Terminating) > 0 {
		msg += fmt.Sprintf(", %d terminating (%d serving)", len(e.Terminating), len(e.TerminatingServing))
	}
	if len(e.NotReady) > 0 {
		msg += fmt.Sprintf(", %d not ready", len(e.NotReady))
	}
	return msg
}

// Fields is the state for the timeline in structured form.
func (e Endpoints) Fields() map[string]string {
	return map[string]string{report.FieldService: e.Service, report.FieldReady: strings.Join(e.Ready, ","),
		report.FieldTerminating: strings.Join(e.Terminating, ","), report.FieldTerminatingServing: strings.Join(e.TerminatingServing, ","),
		report.FieldNotReady: strings.Join(e.NotReady, ",")}
}

func (e Endpoints) same(o Endpoints) bool {
	return slices.Equal(e.Ready, o.Ready) && slices.Equal(e.Terminating, o.Terminating) &&
		slices.Equal(e.TerminatingServing, o.TerminatingServing) && slices.Equal(e.NotReady, o.NotReady)
}

// WatchEndpoints reports the endpoints of every Service of namespace
// whenever they change, until ctx ends: first the state of each Service
// found when the watch starts (Initial), then every change of its ready,
// terminating or not-ready addresses. It returns once the initial state
// has been reported.
func WatchEndpoints(ctx context.Context, client kubernetes.Interface, namespace string, report func(Endpoints)) error {
	f := informers.NewSharedInformerFactoryWithOptions(client, 30*time.Second, informers.WithNamespace(namespace))
	inf := f.Discovery().V1().EndpointSlices()
	var (
		mu     sync.Mutex
		synced bool
		last   = map[string]Endpoints{}
	)
	// update recomputes one Service from the informer's cache and reports
	// it when it changed.
	update := func(svc string, initial bool) {
		if svc == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !synced && !initial {
			return
		}
		sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc})
		list, err := inf.Lister().EndpointSlices(namespace).List(sel)
		if err != nil {
			return
		}
		e := endpointsOf(svc, list)
		if prev, ok := last[svc]; ok && prev.same(e) {
			return
		}
		last[svc] = e
		e.Time, e.Initial = time.Now(), initial
		report(e)
	}
	service := func(obj any) string {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		if s, ok := obj.(*discoveryv1.EndpointSlice); ok {
			return s.Labels[discoveryv1.LabelServiceName]
		}
		return ""
	}
	_, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { update(service(obj), false) },
		UpdateFunc: func(_, obj any) { update(service(obj), false) },
		DeleteFunc: func(obj any) { update(service(obj), false) },
	})
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		return fmt.Errorf("watch endpoint slices in %s: %w", namespace, ctx.Err())
	}
	all, err := inf.Lister().EndpointSlices(namespace).List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list endpoint slices in %s: %w", namespace, err)
	}
	var names []string
	for _, s := range all {
		if n := s.Labels[discoveryv1.LabelServiceName]; n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		update(n, true)
	}
	mu.Lock()
	synced = true
	mu.Unlock()
	return nil
}

// endpointsOf sums a Service's slices.
func endpointsOf(svc string, list []*discoveryv1.EndpointSlice) Endpoints {
	e := Endpoints{Service: svc}
	seen := map[string]bool{}
	for _, s := range list {
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 {
				continue
			}
			addr := strings.Join(ep.Addresses, ",")
			if seen[addr] {
				continue
			}
			seen[addr] = true
			c := ep.Conditions
			terminating := c.Terminating != nil && *c.Terminating
			readyC := c.Ready == nil || *c.Ready
			serving := c.Serving == nil || *c.Serving
			switch {
			case terminating:
				e.Terminating = append(e.Terminating, addr)
				if serving {
					e.TerminatingServing = append(e.TerminatingServing, addr)
				}
			case readyC:
				e.Ready = append(e.Ready, addr)
			default:
				e.NotReady = append(e.NotReady, addr)
			}
		}
	}
	for _, l := range [][]string{e.Ready, e.Terminating, e.TerminatingServing, e.NotReady} {
		sort.Strings(l)
	}
	return e
}
