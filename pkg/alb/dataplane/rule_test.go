package dataplane

import "testing"

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
