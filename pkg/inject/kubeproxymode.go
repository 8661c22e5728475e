package inject

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"
)

// KubeProxyMode switches kube-proxy on every node of a real cluster to
// another mode, the EKS way: it edits the mode in kube-proxy's
// configuration ConfigMap, restarts the kube-proxy DaemonSet and waits
// until every node runs the new pods. Recover writes the configuration back
// as it was, word for word, and restarts it again. It changes the whole
// cluster, so a run needs --allow-cluster-changes.
type KubeProxyMode struct {
	Mode      string        `yaml:"mode" json:"mode" required:"true" enum:"iptables,ipvs,nftables" doc:"The mode to switch to."`
	Scheduler string        `yaml:"scheduler" json:"scheduler,omitempty" doc:"IPVS scheduler to set with mode ipvs (rr, lc, sh, ...); empty leaves it as it is."`
	Namespace string        `yaml:"namespace" json:"namespace" default:"kube-system" doc:"Namespace of kube-proxy's ConfigMap and DaemonSet."`
	ConfigMap string        `yaml:"configMap" json:"configMap" default:"kube-proxy-config" doc:"ConfigMap holding kube-proxy's KubeProxyConfiguration (EKS: kube-proxy-config)."`
	Key       string        `yaml:"key" json:"key" default:"config" doc:"Key of the configuration in the ConfigMap."`
	DaemonSet string        `yaml:"daemonSet" json:"daemonSet" default:"kube-proxy" doc:"The kube-proxy DaemonSet to restart."`
	Timeout   time.Duration `yaml:"timeout" json:"timeout" default:"5m" doc:"How long to wait for the restarted DaemonSet to run on every node."`
	// Original is the configuration text before Apply, restored by Recover.
	Original *string `yaml:"-" json:"original,omitempty"`
}

// ErrClusterChanges refuses a fault that changes the whole cluster when the
// user did not allow it.
var ErrClusterChanges = errors.New("changes kube-proxy on every node of the cluster; pass --allow-cluster-changes to allow it")

// Name implements Fault.
func (f *KubeProxyMode) Name() string { return "kubeProxyMode " + f.Mode }

// Apply implements Fault.
func (f *KubeProxyMode) Apply(ctx context.Context, env *Env) error {
	if !env.AllowClusterChanges {
		return fmt.Errorf("%s %w", f.Name(), ErrClusterChanges)
	}
	cms := env.Cluster.Client.CoreV1().ConfigMaps(f.Namespace)
	if _, err := env.Cluster.Client.AppsV1().DaemonSets(f.Namespace).Get(ctx, f.DaemonSet, metav1.GetOptions{}); err != nil {
		return fmt.Errorf("%s: daemonset %s/%s: %w (in the lab, kube-proxy is not a DaemonSet: vary target.lab.proxyMode instead)", f.Name(), f.Namespace, f.DaemonSet, err)
	}
	var from string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		env.read("GET configmaps/%s in %s", f.ConfigMap, f.Namespace)
		cm, err := cms.Get(ctx, f.ConfigMap, metav1.GetOptions{})
		if err != nil {
			return err
		}
		text, ok := cm.Data[f.Key]
		if !ok {
			return fmt.Errorf("configmap %s/%s has no key %q", f.Namespace, f.ConfigMap, f.Key)
		}
		changed, old, err := f.withMode(text)
		if err != nil {
			return fmt.Errorf("configmap %s/%s key %s: %w", f.Namespace, f.ConfigMap, f.Key, err)
		}
		from = old
		if env.DryRun {
			env.would("PUT configmaps/%s in %s with mode %s (was %s)", f.ConfigMap, f.Namespace, f.Mode, old)
			return nil
		}
		if f.Original == nil {
			f.Original = &text
			env.changed(f)
		}
		cm.Data[f.Key] = changed
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "drill"})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	if env.DryRun {
		env.would("PATCH daemonsets/%s in %s (restart) and wait until every node runs it", f.DaemonSet, f.Namespace)
		return nil
	}
	env.note("fault", "kube-proxy configuration %s/%s: mode %s → %s", f.Namespace, f.ConfigMap, from, f.Mode)
	return f.restart(ctx, env)
}

// Recover implements Fault.
func (f *KubeProxyMode) Recover(ctx context.Context, env *Env) error {
	if f.Original == nil {
		if env.DryRun {
			env.would("PUT configmaps/%s in %s with the configuration recorded by Apply, then restart daemonsets/%s", f.ConfigMap, f.Namespace, f.DaemonSet)
		}
		return nil
	}
	cms := env.Cluster.Client.CoreV1().ConfigMaps(f.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := cms.Get(ctx, f.ConfigMap, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[f.Key] = *f.Original
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "drill"})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s recover: restore configmap %s/%s key %s from the journal: %w", f.Name(), f.Namespace, f.ConfigMap, f.Key, err)
	}
	env.note("fault", "kube-proxy configuration %s/%s restored", f.Namespace, f.ConfigMap)
	return f.restart(ctx, env)
}

// withMode returns the configuration text with mode (and the IPVS
// scheduler) set, and the mode it had.
func (f *KubeProxyMode) withMode(text string) (string, string, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		return "", "", err
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	old, _ := cfg["mode"].(string)
	if old == "" {
		old = "iptables (default)"
	}
	cfg["mode"] = f.Mode
	if f.Scheduler != "" {
		ipvs, _ := cfg["ipvs"].(map[string]any)
		if ipvs == nil {
			ipvs = map[string]any{}
		}
		ipvs["scheduler"] = f.Scheduler
		cfg["ipvs"] = ipvs
	}
	b, err := yaml.Marshal(cfg)
	return string(b), old, err
}

// restart restarts the DaemonSet like kubectl rollout restart and waits
// until every scheduled node runs an up-to-date, available pod.
func (f *KubeProxyMode) restart(ctx context.Context, env *Env) error {
	dss := env.Cluster.Client.AppsV1().DaemonSets(f.Namespace)
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"drill.dev/restartedAt":%q}}}}}`, time.Now().UTC().Format(time.RFC3339Nano))
	if _, err := dss.Patch(ctx, f.DaemonSet, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "drill"}); err != nil {
		return fmt.Errorf("restart daemonset %s/%s: %w", f.Namespace, f.DaemonSet, err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	var last *appsv1.DaemonSet
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		ds, err := dss.Get(ctx, f.DaemonSet, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = ds
		s := ds.Status
		return s.ObservedGeneration >= ds.Generation && s.UpdatedNumberScheduled == s.DesiredNumberScheduled &&
			s.NumberAvailable == s.DesiredNumberScheduled, nil
	})
	if err != nil {
		state := "not found"
		if last != nil {
			state = fmt.Sprintf("%d of %d nodes updated, %d available", last.Status.UpdatedNumberScheduled, last.Status.DesiredNumberScheduled, last.Status.NumberAvailable)
		}
		return fmt.Errorf("daemonset %s/%s did not restart (%s): %w", f.Namespace, f.DaemonSet, state, err)
	}
	env.note("fault", "daemonset %s/%s restarted on %d nodes", f.Namespace, f.DaemonSet, last.Status.DesiredNumberScheduled)
	return nil
}
