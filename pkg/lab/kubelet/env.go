package kubelet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// defaultPath is the PATH a container process gets unless its spec sets one.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// envLab is the variable every process started for a lab carries.
const envLab = "DRILL_LAB"

// envPodUID identifies the pod a process belongs to (used to find leftovers).
const envPodUID = "DRILL_POD_UID"

// podFields are the values the downward API can reference, and where config
// maps and secrets come from.
type podFields struct {
	PodIP  string
	HostIP string
	// Objects reads config maps and secrets of the pod's namespace; nil
	// makes every such reference an error.
	Objects objectGetter
	// Base are KEY=VALUE pairs set before the spec's env (the
	// KUBERNETES_SERVICE_* variables).
	Base []string
}

// objectGetter reads the config maps and secrets that env refers to.
type objectGetter interface {
	ConfigMap(ns, name string) (map[string]string, error)
	Secret(ns, name string) (map[string][]byte, error)
}

// errNotFound is what an objectGetter returns for a missing object.
var errNotFound = errors.New("not found")

// lookupKey resolves one key of a config map or secret; found is false for a
// missing optional object or key.
func lookupKey(f podFields, ns string, secret bool, name, key string, optional *bool) (val string, found bool, err error) {
	opt := optional != nil && *optional
	kind := "config map"
	if secret {
		kind = "secret"
	}
	if f.Objects == nil {
		return "", false, fmt.Errorf("%s %s: not available", kind, name)
	}
	var data map[string]string
	if secret {
		d, err := f.Objects.Secret(ns, name)
		if err == nil {
			data = map[string]string{}
			for k, v := range d {
				data[k] = string(v)
			}
		} else if !(errors.Is(err, errNotFound) && opt) {
			return "", false, fmt.Errorf("%s %s: %w", kind, name, err)
		}
	} else {
		d, err := f.Objects.ConfigMap(ns, name)
		if err == nil {
			data = d
		} else if !(errors.Is(err, errNotFound) && opt) {
			return "", false, fmt.Errorf("%s %s: %w", kind, name, err)
		}
	}
	if data == nil {
		return "", false, nil
	}
	if key == "" {
		return "", true, nil
	}
	v, ok := data[key]
	if !ok && !opt {
		return "", false, fmt.Errorf("%s %s has no key %q", kind, name, key)
	}
	return v, ok, nil
}

// allKeys returns every key of a config map or secret for envFrom.
func allKeys(f podFields, ns string, secret bool, name string, optional *bool) (map[string]string, error) {
	if _, found, err := lookupKey(f, ns, secret, name, "", optional); err != nil || !found {
		return nil, err
	}
	if secret {
		d, err := f.Objects.Secret(ns, name)
		out := map[string]string{}
		for k, v := range d {
			out[k] = string(v)
		}
		return out, err
	}
	return f.Objects.ConfigMap(ns, name)
}

// fieldValue resolves a downward-API fieldRef against pod.
func fieldValue(pod *v1.Pod, f podFields, fieldPath string) (string, error) {
	switch fieldPath {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return f.PodIP, nil
	case "status.hostIP", "status.hostIPs":
		return f.HostIP, nil
	}
	for _, m := range []struct {
		prefix string
		from   map[string]string
	}{{"metadata.labels['", pod.Labels}, {"metadata.annotations['", pod.Annotations}} {
		if strings.HasPrefix(fieldPath, m.prefix) && strings.HasSuffix(fieldPath, "']") {
			return m.from[strings.TrimSuffix(strings.TrimPrefix(fieldPath, m.prefix), "']")], nil
		}
	}
	return "", fmt.Errorf("fieldRef %q is not supported in the lab: use metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.podIP or status.hostIP", fieldPath)
}

// containerEnv builds the environment of container c of pod, in order: PATH
// and HOSTNAME defaults, envFrom, the spec's env (with $(VAR) references
// expanded as the kubelet does), then DRILL_LAB and DRILL_POD_UID. Every
// unresolvable or unsupported source (resourceFieldRef) is reported at once.
func containerEnv(pod *v1.Pod, c *v1.Container, f podFields, lab string) ([]string, error) {
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	set("PATH", defaultPath)
	set("HOSTNAME", podHostname(pod, pod.Spec.NodeName))
	for _, kv := range f.Base {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	var errs []string
	for i, ef := range c.EnvFrom {
		var data map[string]string
		var err error
		switch {
		case ef.ConfigMapRef != nil:
			data, err = allKeys(f, pod.Namespace, false, ef.ConfigMapRef.Name, ef.ConfigMapRef.Optional)
		case ef.SecretRef != nil:
			data, err = allKeys(f, pod.Namespace, true, ef.SecretRef.Name, ef.SecretRef.Optional)
		default:
			err = errors.New("only configMapRef and secretRef are supported")
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("envFrom[%d]: %v", i, err))
			continue
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(ef.Prefix+k, data[k])
		}
	}
	for _, e := range c.Env {
		var v string
		var found = true
		var err error
		switch {
		case e.ValueFrom == nil:
			v = expandVars(e.Value, vals)
		case e.ValueFrom.FieldRef != nil:
			v, err = fieldValue(pod, f, e.ValueFrom.FieldRef.FieldPath)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			r := e.ValueFrom.ConfigMapKeyRef
			v, found, err = lookupKey(f, pod.Namespace, false, r.Name, r.Key, r.Optional)
		case e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			v, found, err = lookupKey(f, pod.Namespace, true, r.Name, r.Key, r.Optional)
		default:
			err = errors.New("resourceFieldRef and fileKeyRef are not supported in the lab: use value, fieldRef, configMapKeyRef or secretKeyRef")
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("env %s: %v", e.Name, err))
			continue
		}
		if found {
			set(e.Name, v)
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	set(envLab, lab)
	set(envPodUID, string(pod.UID))
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

// envMap turns KEY=VALUE pairs into a map.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// expandVars expands $(NAME) references to defined variables the way the
// kubelet does: $$ escapes a dollar, undefined references stay as written.
func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// apiObjects reads config maps and secrets from the API server.
type apiObjects struct {
	ctx    context.Context
	client kubernetes.Interface
}

// ConfigMap returns the data of config map ns/name.
func (a apiObjects) ConfigMap(ns, name string) (map[string]string, error) {
	cm, err := a.client.CoreV1().ConfigMaps(ns).Get(a.ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return cm.Data, nil
}

// Secret returns the data of secret ns/name.
func (a apiObjects) Secret(ns, name string) (map[string][]byte, error) {
	s, err := a.client.CoreV1().Secrets(ns).Get(a.ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.Data, nil
}
