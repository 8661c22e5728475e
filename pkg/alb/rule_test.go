package alb

import (
	"strings"
	"testing"
)

func TestRuleMatches(t *testing.T) {
	tests := []struct {
		name       string
		rule       Rule
		host, path string
		want       bool
	}{
		{"catch-all", Rule{}, "any", "/x", true},
		{"exact host with port", Rule{Host: "shop.example"}, "Shop.Example:8080", "/", true},
		{"other host", Rule{Host: "shop.example"}, "api.example", "/", false},
		{"wildcard one label", Rule{Host: "*.example"}, "a.example", "/", true},
		{"wildcard two labels", Rule{Host: "*.example"}, "a.b.example", "/", false},
		{"wildcard apex", Rule{Host: "*.example"}, "example", "/", false},
		{"prefix itself", Rule{Path: "/api"}, "h", "/api", true},
		{"prefix below", Rule{Path: "/api/"}, "h", "/api/v1", true},
		{"prefix is per segment", Rule{Path: "/api"}, "h", "/apis", false},
		{"exact", Rule{Path: "/api", PathExact: true}, "h", "/api", true},
		{"exact not below", Rule{Path: "/api", PathExact: true}, "h", "/api/v1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.matches(tt.host, tt.path); got != tt.want {
				t.Errorf("matches(%q, %q) = %v, want %v", tt.host, tt.path, got, tt.want)
			}
		})
	}
}

func TestSortRules(t *testing.T) {
	rules := []Rule{{Path: "/"}, {Path: "/api"}, {Host: "h", Path: "/"}, {Path: "/api/v1"}, {Path: "/api", PathExact: true}}
	sortRules(rules)
	var got []string
	for _, r := range rules {
		got = append(got, r.Host+r.Path+map[bool]string{true: "=", false: ""}[r.PathExact])
	}
	if s := strings.Join(got, " "); s != "h/ /api= /api/v1 /api /" {
		t.Errorf("order %q", s)
	}
}

func TestGroupName(t *testing.T) {
	a := GroupName("default", "web", "web", 80)
	if a != GroupName("default", "web", "web", 80) || a == GroupName("default", "web", "web", 81) || a == GroupName("default", "web2", "web", 80) {
		t.Error("names must be stable and differ per ingress, service and port")
	}
	long := GroupName("a-very-long-namespace", "ing", "a-very-long-service-name", 8080)
	if len(long) > 32 || !strings.HasPrefix(long, "k8s-a-very-l-a-very-l-") {
		t.Errorf("%q: want k8s-<ns[:8]>-<svc[:8]>-<hash>, at most 32 characters", long)
	}
}
