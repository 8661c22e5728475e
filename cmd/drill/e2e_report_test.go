package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The report names the errors (vegeta's error set, with counts) and breaks
// the requests down by their scenario names, in every format; the 503s,
// which name their backend, are the application's own errors, also when
// drill report --from-results recomputes them.
func TestReportShowsErrorSetAndRequestNames(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cart" {
			w.Header().Set("X-Drill-Backend", "cart-1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	file := scenarioFile(t, srv.URL, `{rate: 50/s, duration: 2s, requests: [{name: home, path: /, weight: 3}, {name: cart, path: /cart}]}`,
		"checks: [\"status_503 > 0\"]\n")
	res, r, dir := runScenario(t, file)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	s := r.Summary
	if len(s.ErrorSet) != 1 || s.ErrorSet[0].Message != "503 Service Unavailable" || s.ErrorSet[0].Count != s.Codes["503"] || s.Codes["503"] == 0 {
		t.Errorf("error set %+v, codes %v: want the 503s counted under vegeta's message", s.ErrorSet, s.Codes)
	}
	if len(s.ByName) != 2 || s.ByName[0].Name != "cart" || s.ByName[1].Name != "home" ||
		s.ByName[0].Successes != 0 || s.ByName[1].Successes != s.ByName[1].Requests || s.ByName[0].Requests+s.ByName[1].Requests != s.Requests {
		t.Errorf("by name %+v: want cart all failed and home all succeeded, adding up to %d", s.ByName, s.Requests)
	}
	if c := r.Causes; c == nil || c.Failures != s.Codes["503"] || len(c.Total) != 1 || c.Total[0].Cause != "app-error" || c.Total[0].Count != c.Failures {
		t.Errorf("causes %+v: want every 503 an app-error", c)
	}
	again := drill(t, "report", dir, "--from-results", "-o", "json")
	if !strings.Contains(again.stdout, `"cause": "app-error"`) {
		t.Errorf("drill report --from-results lost the causes:\n%s", again.stdout)
	}
	for _, format := range []string{"table", "md", "json", "junit", "html"} {
		out := drill(t, "report", dir, "-o", format)
		wants := []string{"503 Service Unavailable", "cart", "home"}
		if format != "junit" {
			wants = append(wants, "app-error")
		}
		for _, want := range wants {
			if !strings.Contains(out.stdout, want) {
				t.Errorf("drill report -o %s lacks %q", format, want)
			}
		}
	}
}
