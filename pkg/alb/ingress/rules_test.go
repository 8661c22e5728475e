package ingress

import (
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/alb/dataplane"
)

func TestSortRules(t *testing.T) {
	rules := []dataplane.Rule{{Path: "/"}, {Path: "/api"}, {Host: "h", Path: "/"}, {Path: "/api/v1"}, {Path: "/api", PathExact: true}}
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
