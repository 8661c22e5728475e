package kubelet

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestIsDrillImage(t *testing.T) {
	for _, tc := range []struct {
		image string
		want  bool
	}{
		{"drill", true},
		{"drill:v1.2", true},
		{"ghcr.io/drillkit/drill:latest", true},
		{"registry:5000/x/drill@sha256:abcd", true},
		{"localhost:5000/drill", true},
		{"nginx", false},
		{"ghcr.io/drillkit/drill-agent:1", false},
		{"drill/nginx", false},
		{"", false},
	} {
		t.Run(tc.image, func(t *testing.T) {
			if got := IsDrillImage(tc.image); got != tc.want {
				t.Fatalf("IsDrillImage(%q) = %v, want %v", tc.image, got, tc.want)
			}
		})
	}
}

func TestContainerArgv(t *testing.T) {
	for _, tc := range []struct {
		name          string
		image         string
		command, args []string
		want          string
		reason        string
	}{
		{"args only", "drill", nil, []string{"echo", "--listen", ":8080"}, "/bin/drill echo --listen :8080", ""},
		{"command drill", "ghcr.io/drillkit/drill", []string{"drill", "echo"}, []string{"--listen", ":80"}, "/bin/drill echo --listen :80", ""},
		{"command abs", "drill:1", []string{"/usr/local/bin/drill"}, []string{"echo"}, "/bin/drill echo", ""},
		{"shell", "drill", []string{"sh", "-c", "x"}, nil, "", ReasonCommandNotRunnable},
		{"other image", "nginx:1.27", nil, nil, "", ReasonImageNotRunnable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv, reason, err := containerArgv(tc.image, tc.command, tc.args, "/bin/drill")
			if reason != tc.reason {
				t.Fatalf("reason %q, want %q (err %v)", reason, tc.reason, err)
			}
			if tc.reason != "" {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if got := strings.Join(argv, " "); got != tc.want {
				t.Fatalf("argv %q, want %q", got, tc.want)
			}
		})
	}
}

func TestContainerEnv(t *testing.T) {
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", UID: "1234abcd-0000", Labels: map[string]string{"app": "web"}},
		Spec:       v1.PodSpec{NodeName: "node-1"},
	}
	ref := func(p string) *v1.EnvVarSource {
		return &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: p}}
	}
	c := &v1.Container{Env: []v1.EnvVar{
		{Name: "POD_NAME", ValueFrom: ref("metadata.name")},
		{Name: "POD_NAMESPACE", ValueFrom: ref("metadata.namespace")},
		{Name: "POD_IP", ValueFrom: ref("status.podIP")},
		{Name: "NODE_NAME", ValueFrom: ref("spec.nodeName")},
		{Name: "APP", ValueFrom: ref("metadata.labels['app']")},
		{Name: "GREETING", Value: "hi $(POD_NAME) $$(POD_NAME) $(NOPE)"},
	}}
	env, err := containerEnv(pod, c, podFields{PodIP: "198.19.1.2", HostIP: "198.18.0.11"}, "lab1")
	if err != nil {
		t.Fatal(err)
	}
	got := envMap(env)
	for k, want := range map[string]string{
		"POD_NAME": "web-1", "POD_NAMESPACE": "shop", "POD_IP": "198.19.1.2", "NODE_NAME": "node-1", "APP": "web",
		"GREETING": "hi web-1 $(POD_NAME) $(NOPE)", "DRILL_LAB": "lab1", "DRILL_POD_UID": "1234abcd-0000", "HOSTNAME": "web-1",
	} {
		if got[k] != want {
			t.Errorf("%s=%q, want %q", k, got[k], want)
		}
	}

	t.Run("unsupported sources are all reported", func(t *testing.T) {
		bad := &v1.Container{
			EnvFrom: []v1.EnvFromSource{{}},
			Env: []v1.EnvVar{
				{Name: "A", ValueFrom: &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{}}},
				{Name: "B", ValueFrom: ref("status.nope")},
			},
		}
		_, err := containerEnv(pod, bad, podFields{}, "lab1")
		if err == nil {
			t.Fatal("want an error")
		}
		for _, s := range []string{"envFrom", "env A", "env B"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not mention %s", err, s)
			}
		}
	})
}

// mapObjects is an objectGetter over fixed data.
type mapObjects struct {
	cms     map[string]map[string]string
	secrets map[string]map[string][]byte
}

func (m mapObjects) ConfigMap(_, name string) (map[string]string, error) {
	if d, ok := m.cms[name]; ok {
		return d, nil
	}
	return nil, errNotFound
}

func (m mapObjects) Secret(_, name string) (map[string][]byte, error) {
	if d, ok := m.secrets[name]; ok {
		return d, nil
	}
	return nil, errNotFound
}

func TestContainerEnvFromObjects(t *testing.T) {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	objs := mapObjects{
		cms:     map[string]map[string]string{"cfg": {"LEVEL": "debug", "MODE": "fast"}},
		secrets: map[string]map[string][]byte{"creds": {"token": []byte("s3cret")}},
	}
	yes := true
	c := &v1.Container{
		EnvFrom: []v1.EnvFromSource{{Prefix: "APP_", ConfigMapRef: &v1.ConfigMapEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}}},
		Env: []v1.EnvVar{
			{Name: "TOKEN", ValueFrom: &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "creds"}, Key: "token"}}},
			{Name: "MODE", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}, Key: "MODE"}}},
			{Name: "MAYBE", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "absent"}, Key: "x", Optional: &yes}}},
			{Name: "LINE", Value: "$(APP_LEVEL)-$(MODE)"},
		},
	}
	env, err := containerEnv(pod, c, podFields{Objects: objs}, "lab")
	if err != nil {
		t.Fatal(err)
	}
	got := envMap(env)
	for k, want := range map[string]string{"APP_LEVEL": "debug", "APP_MODE": "fast", "TOKEN": "s3cret", "MODE": "fast", "LINE": "debug-fast"} {
		if got[k] != want {
			t.Errorf("%s=%q, want %q", k, got[k], want)
		}
	}
	if _, ok := got["MAYBE"]; ok {
		t.Error("a missing optional reference must not set the variable")
	}

	missing := &v1.Container{Env: []v1.EnvVar{
		{Name: "A", ValueFrom: &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "absent"}, Key: "x"}}},
		{Name: "B", ValueFrom: &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: "creds"}, Key: "nokey"}}},
	}}
	_, err = containerEnv(pod, missing, podFields{Objects: objs}, "lab")
	if err == nil || !strings.Contains(err.Error(), "env A") || !strings.Contains(err.Error(), "env B") {
		t.Fatalf("want errors for A and B, got %v", err)
	}
}

func TestIPAM(t *testing.T) {
	a, err := newIPAM("198.19.1.0/29") // 8 addresses: .2-.6 usable
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		ip, err := a.Allocate(string(rune('a' + i)))
		if err != nil {
			t.Fatal(err)
		}
		if s := ip.String(); seen[s] || s == "198.19.1.0" || s == "198.19.1.1" || s == "198.19.1.7" {
			t.Fatalf("bad or duplicate address %s", s)
		}
		seen[ip.String()] = true
	}
	if _, err := a.Allocate("z"); err == nil {
		t.Fatal("want exhaustion error")
	}
	again, _ := a.Allocate("a")
	a.Release("b")
	ip, err := a.Allocate("z")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if ip.String() == again.String() {
		t.Fatalf("z got a's address %s", ip)
	}
	if err := a.Reserve(ip, "y"); err == nil {
		t.Fatal("reserving a used address must fail")
	}
}

func TestBackoff(t *testing.T) {
	b := backoffPolicy{Initial: time.Second, Max: 4 * time.Second, Reset: time.Minute}
	var state time.Duration
	var waits []time.Duration
	for i := 0; i < 5; i++ {
		var w time.Duration
		w, state = b.delay(state, time.Second)
		waits = append(waits, w)
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
	if w, _ := b.delay(state, 2*time.Minute); w != 0 {
		t.Fatalf("after a long run the restart must be immediate, got %v", w)
	}
}

func running() v1.ContainerState {
	return v1.ContainerState{Running: &v1.ContainerStateRunning{}}
}

func exited(code int32) v1.ContainerState {
	return v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: code}}
}

func TestPodPhase(t *testing.T) {
	waiting := v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "X"}}
	backoff := v1.ContainerStatus{State: waiting, LastTerminationState: exited(1)}
	for _, tc := range []struct {
		name   string
		policy v1.RestartPolicy
		ctrs   []v1.ContainerStatus
		want   v1.PodPhase
	}{
		{"waiting", v1.RestartPolicyAlways, []v1.ContainerStatus{{State: waiting}}, v1.PodPending},
		{"running", v1.RestartPolicyAlways, []v1.ContainerStatus{{State: running()}}, v1.PodRunning},
		{"crash loop", v1.RestartPolicyAlways, []v1.ContainerStatus{backoff}, v1.PodRunning},
		{"never failed", v1.RestartPolicyNever, []v1.ContainerStatus{{State: exited(3)}}, v1.PodFailed},
		{"never ok", v1.RestartPolicyNever, []v1.ContainerStatus{{State: exited(0)}}, v1.PodSucceeded},
		{"onfailure ok", v1.RestartPolicyOnFailure, []v1.ContainerStatus{{State: exited(0)}}, v1.PodSucceeded},
		{"onfailure retrying", v1.RestartPolicyOnFailure, []v1.ContainerStatus{backoff}, v1.PodRunning},
		{"one running one done", v1.RestartPolicyNever, []v1.ContainerStatus{{State: running()}, {State: exited(1)}}, v1.PodRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := podPhase(tc.policy, podView{InitDone: true, Containers: tc.ctrs}); got != tc.want {
				t.Fatalf("phase %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("init failed under Never", func(t *testing.T) {
		v := podView{Init: []v1.ContainerStatus{{State: exited(1)}}, Containers: []v1.ContainerStatus{{State: waiting}}}
		if got := podPhase(v1.RestartPolicyNever, v); got != v1.PodFailed {
			t.Fatalf("phase %s, want Failed", got)
		}
	})
}

func condOf(st v1.PodStatus, t v1.PodConditionType) v1.PodCondition {
	for _, c := range st.Conditions {
		if c.Type == t {
			return c
		}
	}
	return v1.PodCondition{}
}

func TestBuildStatusReadiness(t *testing.T) {
	gate := v1.PodConditionType("target-health.elbv2.k8s.aws/tg")
	old := metav1.NewTime(time.Unix(1000, 0))
	pod := &v1.Pod{
		Spec: v1.PodSpec{ReadinessGates: []v1.PodReadinessGate{{ConditionType: gate}}},
		Status: v1.PodStatus{Conditions: []v1.PodCondition{
			{Type: v1.PodScheduled, Status: v1.ConditionTrue, LastTransitionTime: old},
			{Type: v1.ContainersReady, Status: v1.ConditionTrue, LastTransitionTime: old},
		}},
	}
	ready := v1.ContainerStatus{Name: "web", State: running(), Ready: true}
	unready := v1.ContainerStatus{Name: "web", State: running()}
	now := metav1.NewTime(time.Unix(2000, 0))

	for _, tc := range []struct {
		name      string
		ctr       v1.ContainerStatus
		gate      v1.ConditionStatus // "" = no gate condition
		ctrsReady v1.ConditionStatus
		podReady  v1.ConditionStatus
		reason    string
	}{
		{"container not ready", unready, v1.ConditionTrue, v1.ConditionFalse, v1.ConditionFalse, "ContainersNotReady"},
		{"gate missing", ready, "", v1.ConditionTrue, v1.ConditionFalse, "ReadinessGatesNotReady"},
		{"gate false", ready, v1.ConditionFalse, v1.ConditionTrue, v1.ConditionFalse, "ReadinessGatesNotReady"},
		{"gate true", ready, v1.ConditionTrue, v1.ConditionTrue, v1.ConditionTrue, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pod.DeepCopy()
			if tc.gate != "" {
				p.Status.Conditions = append(p.Status.Conditions, v1.PodCondition{Type: gate, Status: tc.gate})
			}
			st := buildStatus(p, podView{SandboxReady: true, InitDone: true, PodIP: "198.19.1.2", HostIP: "198.18.0.11", Containers: []v1.ContainerStatus{tc.ctr}}, now)
			if c := condOf(st, v1.ContainersReady); c.Status != tc.ctrsReady {
				t.Errorf("ContainersReady %s, want %s", c.Status, tc.ctrsReady)
			} else if c.Status == v1.ConditionTrue && !c.LastTransitionTime.Equal(&old) {
				t.Errorf("unchanged ContainersReady got a new transition time %v", c.LastTransitionTime)
			}
			c := condOf(st, v1.PodReady)
			if c.Status != tc.podReady || c.Reason != tc.reason {
				t.Errorf("Ready %s/%q, want %s/%q", c.Status, c.Reason, tc.podReady, tc.reason)
			}
			if c := condOf(st, v1.PodScheduled); c.Status != v1.ConditionTrue {
				t.Error("PodScheduled was not kept")
			}
			if tc.gate != "" && condOf(st, gate).Status != tc.gate {
				t.Error("readiness gate condition was not kept")
			}
			if st.PodIP != "198.19.1.2" || len(st.PodIPs) != 1 || st.HostIP != "198.18.0.11" || st.Phase != v1.PodRunning {
				t.Errorf("status fields: %+v", st)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{NodeIP: "x", PodCIDR: "198.19.1.0/31"}.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, s := range []string{"lab", "kubeconfig", "nodeName", "nodeNetns", "podNetnsPrefix", "drillBinary", "stateDir", "nodeIP", "podCIDR"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not mention %s: %v", s, err)
		}
	}
	ok := Config{Lab: "l", Kubeconfig: "k", NodeName: "n", NodeIP: "198.18.0.11", PodCIDR: "198.19.1.0/24",
		NodeNetns: "drill-l-n1", PodNetnsPrefix: "drill-l-p-", DrillBinary: "/bin/drill", StateDir: "/tmp/x"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}
