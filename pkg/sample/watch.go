package sample

import (
	"context"
	"sync"

	"k8s.io/client-go/kubernetes"
)

// Watch is a Sampler over a watch of the cluster (WatchPods,
// WatchEndpoints): it puts what the watch reports on the timeline from
// Start until Stop.
type Watch struct {
	start func(ctx context.Context, emit func(Event)) error

	mu      sync.Mutex
	emit    func(Event)
	obs     Observer
	stopped bool
	cancel  context.CancelFunc
}

// PodWatch watches the pods of namespace (WatchPods).
func PodWatch(client kubernetes.Interface, namespace string) *Watch {
	return &Watch{start: func(ctx context.Context, emit func(Event)) error {
		return WatchPods(ctx, client, namespace, func(c PodChange) {
			emit(Event{Kind: EventPod, Source: c.Pod, Message: c.Message, Fields: c.Fields()})
		})
	}}
}

// EndpointWatch watches the endpoints of the Services of namespace
// (WatchEndpoints), the state found at Start included; its Observer
// receives each Service's Endpoints.
func EndpointWatch(client kubernetes.Interface, namespace string) *Watch {
	w := &Watch{}
	w.start = func(ctx context.Context, emit func(Event)) error {
		return WatchEndpoints(ctx, client, namespace, func(e Endpoints) {
			w.observe(func(o Observer) { o.Endpoints(e) })
			emit(Event{Kind: EventEndpoint, Source: e.Service, Message: e.Message(), Fields: e.Fields()})
		})
	}
	return w
}

// SetEvents implements WithEvents.
func (w *Watch) SetEvents(emit func(Event)) { w.emit = emit }

// Observe implements WithObserver.
func (w *Watch) Observe(o Observer) { w.obs = o }

// observe passes the Observer to fn until Stop.
func (w *Watch) observe(fn func(Observer)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped && w.obs != nil {
		fn(w.obs)
	}
}

// Start implements Sampler: it returns once the watch has its initial
// state.
func (w *Watch) Start(ctx context.Context) error {
	ctx, w.cancel = context.WithCancel(ctx)
	if err := w.start(ctx, w.report); err != nil {
		w.cancel()
		return err
	}
	return nil
}

// report passes e on until Stop.
func (w *Watch) report(e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped && w.emit != nil {
		w.emit(e)
	}
}

// Stop implements Sampler: no event is reported once it returns.
func (w *Watch) Stop() error {
	w.cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	return nil
}

var _ WithEvents = (*Watch)(nil)
