package kubelet

import (
	"fmt"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// defaultPath is the PATH a container process gets unless its spec sets one.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// envLab is the variable every process started for a lab carries.
const envLab = "DRILL_LAB"

// envPodUID identifies the pod a process belongs to (used to find leftovers).
const envPodUID = "DRILL_POD_UID"

// podFields are the values the downward API can reference.
type podFields struct {
	PodIP  string
	HostIP string
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
// and HOSTNAME defaults, the spec's env (with $(VAR) references expanded as
// the kubelet does), then DRILL_LAB and DRILL_POD_UID. Unsupported sources
// (secrets, config maps, resource fields, envFrom) are errors.
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
	set("HOSTNAME", pod.Name)
	var errs []string
	if len(c.EnvFrom) > 0 {
		errs = append(errs, "envFrom is not supported in the lab: list the variables under env")
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, expandVars(e.Value, vals))
		case e.ValueFrom.FieldRef != nil:
			v, err := fieldValue(pod, f, e.ValueFrom.FieldRef.FieldPath)
			if err != nil {
				errs = append(errs, fmt.Sprintf("env %s: %v", e.Name, err))
				continue
			}
			set(e.Name, v)
		default:
			errs = append(errs, fmt.Sprintf("env %s: only value and fieldRef sources are supported in the lab (no secretKeyRef, configMapKeyRef, resourceFieldRef)", e.Name))
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
