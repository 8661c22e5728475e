package advise

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// app is a Deployment behind a Service and, unless NoIngress, an ALB
// Ingress; its fields are YAML put into the manifest.
type app struct {
	Replicas, MinReady, Grace, Strategy string
	PodAnnotations, Lifecycle, Command  string
	ReadinessGates                      string
	ServiceType, ServiceAnnotations     string
	NoIngress, NoPDB                    bool
	IngressClass, IngressAnnotations    string
	NamespaceLabels, Extra              string
}

var appTemplate = template.Must(template.New("app").Parse(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: {{or .Replicas "3"}}
  minReadySeconds: {{or .MinReady "60"}}
  selector: {matchLabels: {app: web}}
{{- if .Strategy}}
  strategy: {{.Strategy}}
{{- end}}
  template:
    metadata:
      labels: {app: web}
{{- if .PodAnnotations}}
      annotations: {{.PodAnnotations}}
{{- end}}
    spec:
{{- if .Grace}}
      terminationGracePeriodSeconds: {{.Grace}}
{{- end}}
{{- if .ReadinessGates}}
      readinessGates: {{.ReadinessGates}}
{{- end}}
      containers:
        - name: app
          image: app
          ports: [{containerPort: 8080}]
{{- if .Command}}
          command: {{.Command}}
{{- end}}
          lifecycle: {{or .Lifecycle "{preStop: {sleep: {seconds: 15}}}"}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {{or .ServiceAnnotations "{}"}}
spec:
  type: {{or .ServiceType "NodePort"}}
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
{{- if not .NoPDB}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
{{- end}}
{{- if not .NoIngress}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {{or .IngressAnnotations "{alb.ingress.kubernetes.io/target-type: ip}"}}
spec:
  ingressClassName: {{or .IngressClass "alb"}}
  defaultBackend: {service: {name: web, port: {number: 80}}}
{{- end}}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {{or .NamespaceLabels "{elbv2.k8s.aws/pod-readiness-gate-inject: enabled}"}}
{{.Extra}}
`))

// write puts text in a manifest file and returns its path.
func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// analyze runs every rule over a and returns the findings.
func analyze(t *testing.T, a app, opts Options) []Finding {
	t.Helper()
	var b strings.Builder
	if err := appTemplate.Execute(&b, a); err != nil {
		t.Fatal(err)
	}
	return analyzeText(t, b.String(), opts)
}

func analyzeText(t *testing.T, text string, opts Options) []Finding {
	t.Helper()
	m, err := Read([]string{write(t, text)})
	if err != nil {
		t.Fatalf("read: %v\n%s", err, text)
	}
	fs, err := Analyze(m, opts)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	return fs
}

// of returns the findings of rule id.
func of(fs []Finding, id string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

func TestTheBaseAppHasNoFinding(t *testing.T) {
	if fs := analyze(t, app{}, Options{}); len(fs) != 0 {
		t.Errorf("findings on the base app: %+v", fs)
	}
}

// TestRules holds each rule to a case that must fire it and one that must
// not; want is a part of the reason.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		app        app
		opts       Options
		want       string // "": the rule must not fire
		level      Level
	}{
		{name: "no preStop behind an ALB", rule: "prestop-missing", app: app{Lifecycle: "{}"}, want: "container app has no preStop hook, behind Ingress/shop/web (Service web), ip targets", level: LevelError},
		{name: "no preStop behind a LoadBalancer Service", rule: "prestop-missing", app: app{Lifecycle: "{}", NoIngress: true, ServiceType: "LoadBalancer"}, want: "behind Service/shop/web", level: LevelError},
		{name: "no preStop, no load balancer", rule: "prestop-missing", app: app{Lifecycle: "{}", NoIngress: true}},
		{name: "no preStop behind an Ingress of another class", rule: "prestop-missing", app: app{Lifecycle: "{}", IngressClass: "nginx"}, want: "behind Ingress/shop/web (Service web): it gets SIGTERM", level: LevelError},
		{name: "a preStop", rule: "prestop-missing", app: app{}},

		{name: "a short sleep command", rule: "prestop-short", app: app{Lifecycle: `{preStop: {exec: {command: [sh, -c, "sleep 5 && nginx -s quit"]}}}`}, want: "waits 5 s, less than 11 s (propagation 10 s + kube-proxy sync 1 s)", level: LevelWarning},
		{name: "the delay does not count", rule: "prestop-short", app: app{Lifecycle: `{preStop: {sleep: {seconds: 5}}}`, IngressAnnotations: `{alb.ingress.kubernetes.io/target-type: ip, alb.ingress.kubernetes.io/target-group-attributes: deregistration_delay.timeout_seconds=30}`}, want: "the deregistration delay (30 s for Ingress/shop/web) does not count", level: LevelWarning},
		{name: "a longer propagation", rule: "prestop-short", app: app{}, opts: Options{Propagation: 20e9}, want: "waits 15 s, less than 21 s", level: LevelWarning},
		{name: "a hook of unknown length", rule: "prestop-short", app: app{Lifecycle: `{preStop: {httpGet: {path: /drain, port: 8080}}}`}, want: "has a length drill cannot read", level: LevelInfo},
		{name: "a sleep long enough", rule: "prestop-short", app: app{Lifecycle: `{preStop: {exec: {command: [/bin/sleep, "11"]}}}`}},

		{name: "grace equal to the preStop", rule: "grace-period-short", app: app{Grace: "15"}, want: "terminationGracePeriodSeconds 15 s is not above 15 s", level: LevelError},
		{name: "the default grace below preStop and drain", rule: "grace-period-short", app: app{PodAnnotations: `{drill.dev/drain-timeout: 20s}`}, want: "30 s is not above 35 s (preStop 15 s of container app + drain 20 s)", level: LevelError},
		{name: "grace above preStop and drain", rule: "grace-period-short", app: app{Grace: "40", PodAnnotations: `{drill.dev/drain-timeout: "20"}`}},

		{name: "ip targets, namespace not labelled", rule: "readiness-gate-missing", app: app{NamespaceLabels: "{}"}, want: "behind Ingress/shop/web (Service web), ip targets the pods declare no readiness gate", level: LevelWarning},
		{name: "instance targets need no gate", rule: "readiness-gate-missing", app: app{NamespaceLabels: "{}", IngressAnnotations: "{}"}},
		{name: "a gate in the template", rule: "readiness-gate-missing", app: app{NamespaceLabels: "{}", ReadinessGates: "[{conditionType: target-health.elbv2.k8s.aws/k8s-shop-web-0123456789}]"}},
		{name: "an NLB with ip targets", rule: "readiness-gate-missing", app: app{NamespaceLabels: "{}", NoIngress: true, ServiceType: "LoadBalancer", ServiceAnnotations: "{service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip}"}, want: "behind Service/shop/web, ip targets", level: LevelWarning},

		{name: "one replica, maxUnavailable 1", rule: "rollout-no-capacity", app: app{Replicas: "1", Strategy: "{rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}"}, want: "replicas 1 with maxUnavailable 1 (1)", level: LevelError},
		{name: "maxSurge 0, maxUnavailable 100%", rule: "rollout-no-capacity", app: app{Strategy: `{rollingUpdate: {maxSurge: 0, maxUnavailable: "100%"}}`}, want: "maxUnavailable 100% (3) and maxSurge 0 (0)", level: LevelError},
		{name: "Recreate", rule: "rollout-no-capacity", app: app{Strategy: "{type: Recreate}"}, want: "strategy Recreate stops all 3 pods", level: LevelError},
		{name: "one replica, the defaults", rule: "rollout-no-capacity", app: app{Replicas: "1"}},
		{name: "both 0 means maxUnavailable 1", rule: "rollout-no-capacity", app: app{Replicas: "2", Strategy: "{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}"}},

		{name: "keep-alive annotation below the idle timeout", rule: "keepalive-below-idle-timeout", app: app{PodAnnotations: `{drill.dev/keepalive-timeout: 5s}`}, want: "the app's keep-alive timeout (5 s, annotation drill.dev/keepalive-timeout) is not above the idle timeout 60 s of Ingress/shop/web", level: LevelWarning},
		{name: "gunicorn against a set idle timeout", rule: "keepalive-below-idle-timeout", app: app{Command: `[gunicorn, --keep-alive, "75", app:app]`, IngressAnnotations: `{alb.ingress.kubernetes.io/target-type: ip, alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=120}`}, want: "75 s, gunicorn --keep-alive of container app) is not above the idle timeout 120 s", level: LevelWarning},
		{name: "keep-alive above the idle timeout", rule: "keepalive-below-idle-timeout", app: app{PodAnnotations: `{drill.dev/keepalive-timeout: "65"}`}},
		{name: "keep-alive not stated", rule: "keepalive-below-idle-timeout", app: app{}},
		{name: "keep-alive, no ALB", rule: "keepalive-below-idle-timeout", app: app{PodAnnotations: `{drill.dev/keepalive-timeout: 5s}`, IngressClass: "nginx"}},

		{name: "the defaults against minReadySeconds 0", rule: "health-check-slower-than-min-ready", app: app{MinReady: "0", NamespaceLabels: "{}"}, want: "needs 2 health checks 15 s apart (30 s) before a new pod gets requests, longer than minReadySeconds 0 s", level: LevelWarning},
		{name: "annotated checks on the Service", rule: "health-check-slower-than-min-ready", app: app{MinReady: "8", NamespaceLabels: "{}", ServiceAnnotations: `{alb.ingress.kubernetes.io/healthcheck-interval-seconds: "5", alb.ingress.kubernetes.io/healthy-threshold-count: "3"}`}, want: "3 health checks 5 s apart (15 s)", level: LevelWarning},
		{name: "health checks within minReadySeconds", rule: "health-check-slower-than-min-ready", app: app{MinReady: "30", NamespaceLabels: "{}"}},
		{name: "a readiness gate holds the rollout", rule: "health-check-slower-than-min-ready", app: app{MinReady: "0"}},
		{name: "instance targets", rule: "health-check-slower-than-min-ready", app: app{MinReady: "0", NamespaceLabels: "{}", IngressAnnotations: "{}"}},

		{name: "no PDB", rule: "pdb-missing", app: app{NoPDB: true}, want: "no PodDisruptionBudget in the manifests selects the pods of Deployment/shop/web (labels app=web)", level: LevelWarning},
		{name: "a PDB of other pods", rule: "pdb-missing", app: app{NoPDB: true, Extra: "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: other, namespace: shop}\nspec: {selector: {matchLabels: {app: other}}}"}, want: "no PodDisruptionBudget", level: LevelWarning},
		{name: "a PDB in another namespace", rule: "pdb-missing", app: app{NoPDB: true, Extra: "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: other}\nspec: {selector: {matchLabels: {app: web}}}"}, want: "no PodDisruptionBudget", level: LevelWarning},
		{name: "a PDB", rule: "pdb-missing", app: app{}},
	} {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			got := of(analyze(t, tc.app, tc.opts), tc.rule)
			if tc.want == "" {
				if len(got) != 0 {
					t.Errorf("want no finding, got %+v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Reason, tc.want) || got[0].Level != tc.level {
				t.Fatalf("want one %s finding with %q, got %+v", tc.level, tc.want, got)
			}
			if got[0].Object.Line == 0 || got[0].Fix == "" || got[0].Evidence == "" {
				t.Errorf("finding without line, fix or evidence: %+v", got[0])
			}
		})
	}
}
