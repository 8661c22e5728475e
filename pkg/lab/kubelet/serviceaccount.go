package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// saMountPath is where in-cluster clients look for their credentials.
const saMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// saVolume returns the projected volume a container mounts at saMountPath
// (the one the ServiceAccount admission plugin adds), or nil.
func saVolume(pod *v1.Pod, c *v1.Container) *v1.Volume {
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) != saMountPath {
			continue
		}
		for i := range pod.Spec.Volumes {
			if v := &pod.Spec.Volumes[i]; v.Name == m.Name && v.Projected != nil {
				return v
			}
		}
	}
	return nil
}

// writeProjected materialises a projected volume (service-account token,
// config map, secret and downward-API sources) into dir and returns when the
// token should be refreshed (zero without a token).
func (w *podWorker) writeProjected(ctx context.Context, pod *v1.Pod, vol *v1.Volume, dir string) (time.Time, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return time.Time{}, err
	}
	var refresh time.Time
	put := func(rel string, data []byte) error {
		p := filepath.Join(dir, filepath.Clean("/"+rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, p)
	}
	core := w.k.client.CoreV1()
	for _, src := range vol.Projected.Sources {
		switch {
		case src.ServiceAccountToken != nil:
			s := src.ServiceAccountToken
			req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
				ExpirationSeconds: s.ExpirationSeconds,
				BoundObjectRef:    &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
			}}
			if s.Audience != "" {
				req.Spec.Audiences = []string{s.Audience}
			}
			sa := pod.Spec.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			tr, err := core.ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
			if err != nil {
				return time.Time{}, fmt.Errorf("token for service account %s: %w", sa, err)
			}
			if err := put(s.Path, []byte(tr.Status.Token)); err != nil {
				return time.Time{}, err
			}
			// Refresh at 80% of the lifetime, as the kubelet does.
			life := time.Until(tr.Status.ExpirationTimestamp.Time)
			refresh = time.Now().Add(life * 8 / 10)
		case src.ConfigMap != nil:
			cm, err := core.ConfigMaps(pod.Namespace).Get(ctx, src.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				if src.ConfigMap.Optional != nil && *src.ConfigMap.Optional {
					continue
				}
				return time.Time{}, fmt.Errorf("config map %s: %w", src.ConfigMap.Name, err)
			}
			if err := putItems(put, cm.Data, nil, src.ConfigMap.Items); err != nil {
				return time.Time{}, err
			}
		case src.Secret != nil:
			s, err := core.Secrets(pod.Namespace).Get(ctx, src.Secret.Name, metav1.GetOptions{})
			if err != nil {
				if src.Secret.Optional != nil && *src.Secret.Optional {
					continue
				}
				return time.Time{}, fmt.Errorf("secret %s: %w", src.Secret.Name, err)
			}
			if err := putItems(put, nil, s.Data, src.Secret.Items); err != nil {
				return time.Time{}, err
			}
		case src.DownwardAPI != nil:
			for _, it := range src.DownwardAPI.Items {
				if it.FieldRef == nil {
					return time.Time{}, fmt.Errorf("downward API item %s: only fieldRef is supported in the lab", it.Path)
				}
				v, err := fieldValue(pod, podFields{PodIP: w.sb.IP, HostIP: w.k.cfg.NodeIP}, it.FieldRef.FieldPath)
				if err != nil {
					return time.Time{}, err
				}
				if err := put(it.Path, []byte(v)); err != nil {
					return time.Time{}, err
				}
			}
		default:
			return time.Time{}, errors.New("projected volume source not supported in the lab")
		}
	}
	return refresh, nil
}

// putItems writes the selected keys (all when items is empty) of text or
// binary data.
func putItems(put func(string, []byte) error, text map[string]string, bin map[string][]byte, items []v1.KeyToPath) error {
	get := func(k string) ([]byte, bool) {
		if v, ok := text[k]; ok {
			return []byte(v), true
		}
		v, ok := bin[k]
		return v, ok
	}
	if len(items) == 0 {
		for k := range text {
			if err := put(k, []byte(text[k])); err != nil {
				return err
			}
		}
		for k, v := range bin {
			if err := put(k, v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		v, ok := get(it.Key)
		if !ok {
			return fmt.Errorf("key %q not found", it.Key)
		}
		if err := put(it.Path, v); err != nil {
			return err
		}
	}
	return nil
}

// kubernetesServiceEnv returns KUBERNETES_SERVICE_HOST/PORT for in-cluster
// clients, from the default/kubernetes Service (nil when it is missing).
func (w *podWorker) kubernetesServiceEnv(ctx context.Context) []string {
	svc, err := w.k.client.CoreV1().Services(v1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || svc.Spec.ClusterIP == "" || len(svc.Spec.Ports) == 0 {
		return nil
	}
	port := strconv.Itoa(int(svc.Spec.Ports[0].Port))
	return []string{
		"KUBERNETES_SERVICE_HOST=" + svc.Spec.ClusterIP,
		"KUBERNETES_SERVICE_PORT=" + port,
		"KUBERNETES_SERVICE_PORT_HTTPS=" + port,
		"KUBERNETES_PORT=tcp://" + svc.Spec.ClusterIP + ":" + port,
	}
}
