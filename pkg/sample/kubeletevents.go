package sample

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/drillkit/drill/pkg/report"
)

// Reasons of the kubelet's events that mark a container's termination
// (k8s.io/kubernetes/pkg/kubelet/events).
const (
	reasonKilling           = "Killing"
	reasonFailedPreStopHook = "FailedPreStopHook"
)

// WatchKubeletEvents reports the kubelet's Killing and FailedPreStopHook
// events of the pods of namespace, as pod changes killing and
// prestop-failed at the moment they are seen, until ctx ends. Events that
// existed before are not reported. It returns once the watch has its
// initial list, or at once with an error when events cannot be listed.
func WatchKubeletEvents(ctx context.Context, client kubernetes.Interface, namespace string, notify func(PodChange)) error {
	const selector = "involvedObject.kind=Pod"
	if _, err := client.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: selector, Limit: 1}); err != nil {
		return fmt.Errorf("list events in %s: %w", namespace, err)
	}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = selector }))
	inf := f.Core().V1().Events().Informer()
	var synced atomic.Bool
	seen := func(e *corev1.Event) {
		if c, ok := kubeletChange(e); ok && synced.Load() {
			notify(c)
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if e, ok := obj.(*corev1.Event); ok {
				seen(e)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*corev1.Event)
			n, ok2 := newObj.(*corev1.Event)
			if ok1 && ok2 && n.Count > o.Count {
				seen(n)
			}
		},
	})
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("watch events in %s: %w", namespace, ctx.Err())
	}
	synced.Store(true)
	return nil
}

// kubeletChange is the pod change an event of the kubelet stands for.
func kubeletChange(e *corev1.Event) (PodChange, bool) {
	var c string
	switch e.Reason {
	case reasonKilling:
		c = report.PodKilling
	case reasonFailedPreStopHook:
		c = report.PodPreStopFailed
	default:
		return PodChange{}, false
	}
	container := containerOfFieldPath(e.InvolvedObject.FieldPath)
	msg := fmt.Sprintf("pod %s container %s: %s", e.InvolvedObject.Name, container, e.Reason)
	if e.Message != "" {
		msg += " (" + e.Message + ")"
	}
	return PodChange{Pod: e.InvolvedObject.Name, Node: e.Source.Host, Change: c, Message: msg,
		Extra: map[string]string{report.FieldContainer: container}}, true
}

// containerOfFieldPath is the container an event's fieldPath names
// ("spec.containers{web}" → web).
func containerOfFieldPath(p string) string {
	if i := strings.IndexByte(p, '{'); i >= 0 && strings.HasSuffix(p, "}") {
		return p[i+1 : len(p)-1]
	}
	return ""
}

// KubeletEventWatch watches the kubelet's termination events of the pods
// of namespace (WatchKubeletEvents).
func KubeletEventWatch(client kubernetes.Interface, namespace string) *Watch {
	return &Watch{start: func(ctx context.Context, emit func(Event)) error {
		return WatchKubeletEvents(ctx, client, namespace, func(c PodChange) {
			emit(Event{Kind: EventPod, Source: c.Pod, Message: c.Message, Fields: c.Fields()})
		})
	}}
}
