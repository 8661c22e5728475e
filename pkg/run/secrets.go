package run

import (
	"net/http"
	"net/url"

	"github.com/drillkit/drill/pkg/redact"
	"github.com/drillkit/drill/pkg/scenario"
)

// alwaysSecret are the headers whose values are secret in every scenario.
var alwaysSecret = []string{"Authorization", "Proxy-Authorization"}

// Secrets returns what the plans' scenarios hold that drill must never
// write: the userinfo of their URLs and the values of their secret headers
// (alwaysSecret and load.secretHeaders).
func Secrets(plans ...*Plan) []string {
	var out []string
	for _, p := range plans {
		out = append(out, scenarioSecrets(p.Scenario)...)
	}
	return out
}

func scenarioSecrets(sc *scenario.Scenario) []string {
	secret := map[string]bool{}
	for _, h := range append(sc.Load.SecretHeaders, alwaysSecret...) {
		secret[http.CanonicalHeaderKey(h)] = true
	}
	var out []string
	headers := func(h map[string]string) {
		for k, v := range h {
			if secret[http.CanonicalHeaderKey(k)] {
				out = append(out, v)
			}
		}
	}
	userinfo := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			out = append(out, u.User.String())
		}
	}
	userinfo(sc.Target.URL)
	if sc.Target.Kube != nil {
		userinfo(sc.Target.Kube.URL)
	}
	headers(sc.Load.Headers)
	for _, r := range sc.Load.Requests {
		userinfo(r.URL)
		headers(r.Headers)
	}
	return out
}

// redactorOf is the Redactor of a scenario's secrets.
func redactorOf(sc *scenario.Scenario) *redact.Redactor { return redact.New(scenarioSecrets(sc)...) }
