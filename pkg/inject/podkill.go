package inject

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/drillkit/drill/pkg/cluster"
)

// Pod kill modes.
const (
	PodKillDelete    = "delete"
	PodKillChaosMesh = "chaosMesh"
)

// PodKill deletes pods matching a label selector, directly or through a
// Chaos Mesh PodChaos. A deleted pod cannot be undeleted: Recover waits
// until the pods' owners are back at their replica counts, and deletes the
// PodChaos.
type PodKill struct {
	Selector           string        `yaml:"selector" json:"selector" required:"true" doc:"Label selector of the pods to kill, e.g. app=web."`
	Namespace          string        `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the pods; empty means the target's namespace."`
	Count              int           `yaml:"count" json:"count" default:"1" min:"1" doc:"How many of the matching pods to kill, picked at random."`
	All                bool          `yaml:"all" json:"all,omitempty" doc:"Kill every matching pod (count is then ignored)."`
	GracePeriodSeconds *int64        `yaml:"gracePeriodSeconds" json:"gracePeriodSeconds,omitempty" min:"0" doc:"Grace period of the deletion; empty means each pod's own terminationGracePeriodSeconds, 0 kills at once."`
	Mode               string        `yaml:"mode" json:"mode" default:"delete" enum:"delete,chaosMesh" doc:"delete: drill deletes the pods; chaosMesh: drill creates a PodChaos (action pod-kill) and Chaos Mesh deletes them."`
	Wait               bool          `yaml:"wait" json:"wait" default:"true" doc:"Wait until the pods' owners are back at their replica counts before the next fault."`
	Timeout            time.Duration `yaml:"timeout" json:"timeout" default:"60s" doc:"chaosMesh mode: how long to wait until Chaos Mesh reports the PodChaos injected."`
	// Killed are the pods deleted (delete mode), journaled before deletion.
	Killed []KilledPod `yaml:"-" json:"killed,omitempty"`
	// Owners are the workloads that bring the killed pods back.
	Owners []Owner `yaml:"-" json:"owners,omitempty"`
	// Chaos is the PodChaos created (chaosMesh mode), journaled before it is
	// created.
	Chaos *cluster.Object `yaml:"-" json:"chaos,omitempty"`
}

// KilledPod is one pod a podKill deleted.
type KilledPod struct {
	Name string    `json:"name"`
	UID  types.UID `json:"uid"`
}

// Name implements Fault.
func (f *PodKill) Name() string {
	n := strconv.Itoa(f.Count)
	if f.All {
		n = "all"
	}
	return fmt.Sprintf("podKill %s pods %s", n, f.Selector)
}

func (f *PodKill) Validate() error {
	sel, err := metav1.ParseToLabelSelector(f.Selector)
	if err != nil {
		return fmt.Errorf("podKill selector %q: %w", f.Selector, err)
	}
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		return fmt.Errorf("podKill selector is empty: name the pods to kill, e.g. app=web")
	}
	if f.Mode == PodKillChaosMesh {
		_, err := chaosObject("PodChaos", "default", "", f.podChaosSpec("default"))
		return err
	}
	return nil
}

// Apply implements Fault.
func (f *PodKill) Apply(ctx context.Context, env *Env) error {
	if err := f.Validate(); err != nil {
		return err
	}
	ns := f.ns(env)
	if err := env.Allowed(ctx, f, ns); err != nil {
		return err
	}
	env.read("GET pods in %s -l %s", ns, f.Selector)
	pods, err := env.Cluster.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: f.Selector})
	if err != nil {
		return fmt.Errorf("podKill: list pods %s in %s: %w", f.Selector, ns, err)
	}
	var live []*corev1.Pod
	for i := range pods.Items {
		if p := &pods.Items[i]; p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return fmt.Errorf("podKill: no running pod in %s matches %s; check the selector with kubectl get pods -n %s -l %s", ns, f.Selector, ns, f.Selector)
	}
	victims := live
	if !f.All && f.Count < len(live) {
		rand.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		victims = live[:f.Count]
	}
	owners, err := f.owners(ctx, env, victims)
	if err != nil {
		return err
	}
	if f.Mode == PodKillChaosMesh {
		return f.applyChaos(ctx, env, ns, owners, len(live))
	}
	if !env.DryRun {
		f.Owners = owners
		for _, p := range victims {
			f.Killed = append(f.Killed, KilledPod{Name: p.Name, UID: p.UID})
		}
		env.changed(f)
	}
	for _, p := range victims {
		env.would("DELETE pods/%s in %s (gracePeriodSeconds %s)", p.Name, ns, graceText(f.GracePeriodSeconds))
		if env.DryRun {
			continue
		}
		uid := p.UID
		err := env.Cluster.Client.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: f.GracePeriodSeconds, Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("podKill: delete pod %s/%s: %w", ns, p.Name, err)
		}
		env.note("fault", "pod %s/%s deleted", ns, p.Name)
	}
	if f.Wait && !env.DryRun {
		return waitOwners(ctx, env, ns, f.Owners, f.uids())
	}
	return nil
}

func (f *PodKill) applyChaos(ctx context.Context, env *Env, ns string, owners []Owner, live int) error {
	o, err := chaosResource(ctx, env, "PodChaos")
	if err != nil {
		return fmt.Errorf("podKill mode chaosMesh: %w; or use mode: delete", err)
	}
	o.Namespace, o.Name = ns, "drill-podkill-"+suffix()
	u, err := chaosObject("PodChaos", ns, o.Name, f.podChaosSpec(ns))
	if err != nil {
		return err
	}
	if !env.DryRun {
		f.Owners, f.Chaos = owners, &o
		env.changed(f)
	}
	if err := createChaos(ctx, env, o, u); err != nil {
		return err
	}
	if err := awaitInjected(ctx, env, o, f.Timeout); err != nil {
		return err
	}
	if f.Wait && !env.DryRun {
		return waitOwners(ctx, env, ns, f.Owners, nil)
	}
	return nil
}

// podChaosSpec is the PodChaos spec of a chaosMesh-mode kill in ns.
func (f *PodKill) podChaosSpec(ns string) map[string]any {
	sel, _ := metav1.ParseToLabelSelector(f.Selector)
	selector := map[string]any{"namespaces": []any{ns}}
	if sel != nil && len(sel.MatchLabels) > 0 {
		m := map[string]any{}
		for k, v := range sel.MatchLabels {
			m[k] = v
		}
		selector["labelSelectors"] = m
	}
	if sel != nil && len(sel.MatchExpressions) > 0 {
		var exprs []any
		for _, e := range sel.MatchExpressions {
			vals := make([]any, len(e.Values))
			for i, v := range e.Values {
				vals[i] = v
			}
			exprs = append(exprs, map[string]any{"key": e.Key, "operator": string(e.Operator), "values": vals})
		}
		selector["expressionSelectors"] = exprs
	}
	spec := map[string]any{"action": "pod-kill", "selector": selector}
	if f.All {
		spec["mode"] = "all"
	} else {
		spec["mode"], spec["value"] = "fixed", strconv.Itoa(f.Count)
	}
	if f.GracePeriodSeconds != nil {
		spec["gracePeriod"] = *f.GracePeriodSeconds
	}
	return spec
}

// Recover implements Fault. Deleted pods cannot be brought back by drill:
// it deletes the PodChaos, if any, and waits for the owners to have
// replaced them.
func (f *PodKill) Recover(ctx context.Context, env *Env) error {
	ns := f.ns(env)
	if f.Chaos != nil {
		if err := deleteChaos(ctx, env, *f.Chaos); err != nil {
			return err
		}
	}
	if len(f.Owners) == 0 || env.DryRun {
		return nil
	}
	return waitOwners(ctx, env, ns, f.Owners, f.uids())
}

// owners returns the distinct workloads owning pods; pods nothing brings
// back are noted.
func (f *PodKill) owners(ctx context.Context, env *Env, pods []*corev1.Pod) ([]Owner, error) {
	var out []Owner
	for _, p := range pods {
		o, ok, err := ownerOf(ctx, env, p)
		if err != nil {
			return nil, err
		}
		if !ok {
			env.note("fault", "pod %s/%s has no controller: nothing will replace it", p.Namespace, p.Name)
			continue
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (f *PodKill) uids() []types.UID {
	var out []types.UID
	for _, k := range f.Killed {
		out = append(out, k.UID)
	}
	return out
}

func (f *PodKill) ns(env *Env) string {
	if f.Namespace != "" {
		return f.Namespace
	}
	return env.Namespace
}

func graceText(g *int64) string {
	if g == nil {
		return "of the pod"
	}
	return strconv.FormatInt(*g, 10)
}
