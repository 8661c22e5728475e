package advise

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadReportsEveryProblemWithItsLine(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\nkind: Service\nmetadata: {name: x}\n",
		"b.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: [web\n",
		"c.yml":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: three}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
		"d.json": `{"apiVersion": "v1", "kind": "ConfigMap"}`,
		"notes":  "not a manifest: not read from the directory",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Read([]string{dir, filepath.Join(dir, "missing.yaml")})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		filepath.Join(dir, "a.yaml") + ":5: apiVersion and kind are required",
		filepath.Join(dir, "b.yaml") + ":3: did not find expected ',' or ']'",
		filepath.Join(dir, "c.yml") + ":1: Deployment/d: ",
		filepath.Join(dir, "c.yml") + ":6: Service/web is also at " + filepath.Join(dir, "a.yaml") + ":1",
		filepath.Join(dir, "d.json") + ":1: ConfigMap: metadata.name is required",
		filepath.Join(dir, "missing.yaml") + ": no such file or directory",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "notes") {
		t.Errorf("a file without a manifest ending was read: %v", err)
	}
}

func TestReadAList(t *testing.T) {
	m, err := Read([]string{write(t, "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: b}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Services) != 1 || len(m.Namespaces) != 1 || m.Services[0].Line != 4 {
		t.Errorf("services %+v, namespaces %+v: want one of each, the Service at line 4", m.Services, m.Namespaces)
	}
}

func TestFindingsPointAtTheField(t *testing.T) {
	fs := analyze(t, app{Lifecycle: "{}", Grace: "5", PodAnnotations: "{drill.dev/drain-timeout: 10s}"}, Options{})
	// The manifest's lines: "- name: app" at 15,
	// terminationGracePeriodSeconds at 13.
	for rule, line := range map[string]int{"prestop-missing": 15, "grace-period-short": 13} {
		got := of(fs, rule)
		if len(got) != 1 || got[0].Object.Line != line {
			t.Errorf("%s: %+v, want one at line %d", rule, got, line)
		}
	}
}

func TestBadAnnotationsAreInputErrors(t *testing.T) {
	text := strings.Join([]string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, annotations: {drill.dev/drain-timeout: soon}}",
		"spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: a}]}}}",
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}",
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web",
		"  annotations:\n    alb.ingress.kubernetes.io/healthcheck-interval-seconds: often",
		"    alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds",
		"spec: {ingressClassName: alb, defaultBackend: {service: {name: web, port: {number: 80}}}}",
	}, "\n")
	m, err := Read([]string{write(t, text)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Analyze(m, Options{})
	for _, want := range []string{
		":3: Deployment/web: drill.dev/drain-timeout \"soon\"",
		":16: Ingress/web: alb.ingress.kubernetes.io/healthcheck-interval-seconds \"often\": use whole seconds",
		":17: Ingress/web: alb.ingress.kubernetes.io/target-group-attributes \"deregistration_delay.timeout_seconds\"",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v: want it to say %q", err, want)
		}
	}
	if _, err := Analyze(m, Options{IngressDefaults: "gke"}); err == nil || !strings.Contains(err.Error(), `"gke": use eks`) {
		t.Errorf("ingress defaults gke: %v", err)
	}
}

func TestWhichIngressesAreALBs(t *testing.T) {
	// keepalive-below-idle-timeout fires only behind an ALB.
	keep := app{PodAnnotations: "{drill.dev/keepalive-timeout: 5s}", IngressAnnotations: "{}"}
	for _, tc := range []struct {
		name string
		app  app
		opts Options
		alb  bool
	}{
		{"class alb", keep, Options{}, true},
		{"class nginx", with(keep, func(a *app) { a.IngressClass = "nginx" }), Options{}, false},
		{"class nginx with the EKS defaults", with(keep, func(a *app) { a.IngressClass = "nginx" }), Options{IngressDefaults: IngressDefaultsEKS}, true},
		{"an IngressClass of the controller", with(keep, func(a *app) {
			a.IngressClass = "public"
			a.Extra = "---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: public}\nspec: {controller: ingress.k8s.aws/alb}"
		}), Options{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(of(analyze(t, tc.app, tc.opts), "keepalive-below-idle-timeout")) == 1; got != tc.alb {
				t.Errorf("treated as an ALB: %v, want %v", got, tc.alb)
			}
		})
	}
}

func with(a app, f func(*app)) app {
	f(&a)
	return a
}

func TestForwardActionsReachTheirServices(t *testing.T) {
	ingress := func(service string) string {
		return "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n" +
			`    alb.ingress.kubernetes.io/actions.bg: '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"` + service + `","servicePort":"80","weight":100}]}}'` +
			"\nspec: {ingressClassName: alb, defaultBackend: {service: {name: bg, port: {name: use-annotation}}}}"
	}
	for service, behind := range map[string]bool{"web": true, "other": false} {
		fs := analyze(t, app{Lifecycle: "{}", NoIngress: true, Extra: ingress(service)}, Options{})
		if got := len(of(fs, "prestop-missing")) == 1; got != behind {
			t.Errorf("forward action to Service %s: the pods behind the Ingress: %v, want %v", service, got, behind)
		}
	}
	m, err := Read([]string{write(t, strings.ReplaceAll(ingress("web"), "actions.bg", "actions.other"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Analyze(m, Options{}); err == nil || !strings.Contains(err.Error(), "backend bg uses port use-annotation but there is no annotation alb.ingress.kubernetes.io/actions.bg") {
		t.Errorf("a backend without its action: %v", err)
	}
}
