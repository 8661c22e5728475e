// Package sample observes the system under test while a run goes on and
// turns what changes into events on the run's timeline.
package sample

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/drillkit/drill/pkg/report"
)

// PodChange is one observed change of a pod.
type PodChange struct {
	Pod     string
	Node    string
	IP      string
	Change  string // created, ready, not-ready, terminating, exited, deleted
	Message string
	// Extra are the change's own fields: the grace period of terminating,
	// the container's of exited (report.Field*).
	Extra map[string]string
}

// WatchPods reports every pod of namespace that is created, becomes ready or
// not ready, starts terminating, has a container exit or is deleted, until
// ctx ends. It returns
// once the initial list has been seen (those pods are not reported).
func WatchPods(ctx context.Context, client kubernetes.Interface, namespace string, notify func(PodChange)) error {
	f := informers.NewSharedInformerFactoryWithOptions(client, 30*time.Second, informers.WithNamespace(namespace))
	inf := f.Core().V1().Pods().Informer()
	var synced atomic.Bool
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok && synced.Load() {
				notify(change(p, report.PodCreated))
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*corev1.Pod)
			n, ok2 := newObj.(*corev1.Pod)
			if !ok1 || !ok2 {
				return
			}
			if o.DeletionTimestamp == nil && n.DeletionTimestamp != nil {
				c := change(n, report.PodTerminating)
				if g := n.DeletionGracePeriodSeconds; g != nil {
					c.Extra = map[string]string{report.FieldGrace: strconv.FormatInt(*g, 10)}
				}
				notify(c)
			}
			if was, is := ready(o), ready(n); was != is {
				c := report.PodNotReady
				if is {
					c = report.PodReady
				}
				notify(change(n, c))
			}
			for _, c := range exits(o, n) {
				notify(c)
			}
		},
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				notify(change(p, report.PodDeleted))
			}
		},
	})
	if err != nil {
		return err
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return fmt.Errorf("watch pods in %s: %w", namespace, ctx.Err())
	}
	synced.Store(true)
	return nil
}

func change(p *corev1.Pod, c string) PodChange {
	msg := fmt.Sprintf("pod %s %s", p.Name, c)
	if p.Spec.NodeName != "" {
		msg += " on " + p.Spec.NodeName
	}
	return PodChange{Pod: p.Name, Node: p.Spec.NodeName, IP: p.Status.PodIP, Change: c, Message: msg}
}

// Fields is the change for the timeline in structured form.
func (c PodChange) Fields() map[string]string {
	f := map[string]string{report.FieldPod: c.Pod, report.FieldNode: c.Node, report.FieldIP: c.IP, report.FieldChange: c.Change}
	for k, v := range c.Extra {
		f[k] = v
	}
	return f
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
