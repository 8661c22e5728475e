package promexport

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// names returns the name of every metric the Exporter defines.
func names(t *testing.T) map[string]bool {
	t.Helper()
	ch := make(chan *prometheus.Desc)
	go func() {
		New().reg.Describe(ch)
		close(ch)
	}()
	out := map[string]bool{}
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		m := re.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		out[m[1]] = true
	}
	if len(out) < 10 {
		t.Fatalf("only %d metrics described", len(out))
	}
	return out
}

func TestEveryMetricIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range names(t) {
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("docs/metrics.md has no row for %s", name)
		}
	}
}

func TestDashboardReadsDefinedMetrics(t *testing.T) {
	dash, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "drill.json"))
	if err != nil {
		t.Fatal(err)
	}
	defined := names(t)
	used := map[string]bool{}
	for _, n := range regexp.MustCompile(`drill_[a-z_]+`).FindAllString(string(dash), -1) {
		base := n
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if b, ok := strings.CutSuffix(n, suffix); ok && defined[b] {
				base = b
			}
		}
		if !defined[base] {
			t.Errorf("the dashboard reads %s, which drill does not serve", n)
		}
		used[base] = true
	}
	for name := range defined {
		if !used[name] {
			t.Errorf("the dashboard shows nothing of %s", name)
		}
	}
}
