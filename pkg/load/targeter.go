package load

import (
	"net/http"
	"net/url"
	"sync"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/redact"
)

// Mix hands out the requests of a config in proportion to their weights with
// smooth weighted round-robin: every pick adds each request's weight to its
// credit, takes the request with the most credit and charges it the sum of the
// weights. The sequence is deterministic, interleaves the requests evenly and
// in every window of sum(weights) picks gives each request exactly its weight.
// A Mix is safe for concurrent use.
type Mix struct {
	mu      sync.Mutex
	targets []vegeta.Target
	names   []string
	urls    []string // as configured, without userinfo
	weights []int
	credit  []int
	total   int
	byKey   map[targetKey]int // as sent → index into targets
}

// NewMix returns the mix of the config's requests. Config headers are merged
// under each request's own. Requests that share a method and URL get a URL
// fragment (never sent on the wire) so that results can still be told apart;
// Name strips it again.
func NewMix(c Config) *Mix {
	m := &Mix{byKey: map[targetKey]int{}}
	seen := map[string]int{}
	for _, r := range c.Requests {
		seen[r.method()+" "+r.URL]++
	}
	for i, r := range c.Requests {
		hdr := http.Header{}
		for k, vs := range c.Headers {
			hdr[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
		for k, vs := range r.Header {
			hdr[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
		u := r.URL
		if seen[r.method()+" "+r.URL] > 1 {
			u = withFragment(u, r.name())
		}
		m.targets = append(m.targets, vegeta.Target{Method: r.method(), URL: u, Header: hdr, Body: r.Body})
		m.names = append(m.names, r.name())
		m.urls = append(m.urls, redact.URL(r.URL))
		m.weights = append(m.weights, r.weight())
		m.credit = append(m.credit, 0)
		m.total += r.weight()
		m.byKey[targetKey{r.method(), u}] = i
	}
	return m
}

// targetKey identifies a target by what a result records of it.
type targetKey struct{ method, url string }

// withFragment replaces the fragment of raw with name.
func withFragment(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Fragment = "drill-request=" + name
	return u.String()
}

// next returns the index of the next request.
func (m *Mix) next() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	best := 0
	for i, w := range m.weights {
		m.credit[i] += w
		if m.credit[i] > m.credit[best] {
			best = i
		}
	}
	m.credit[best] -= m.total
	return best
}

// Targeter returns a vegeta.Targeter over the mix. The targets' header maps
// and bodies are shared and must not be changed by the caller.
func (m *Mix) Targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		if t == nil {
			return vegeta.ErrNilTarget
		}
		*t = m.targets[m.next()]
		return nil
	}
}

// Name returns the name of the request a result belongs to and the URL as
// configured (without a disambiguating fragment, and without userinfo); ok
// is false when the result
// is not from this mix.
func (m *Mix) Name(r *vegeta.Result) (name, rawURL string, ok bool) {
	i, ok := m.byKey[targetKey{r.Method, r.URL}]
	if !ok {
		return "", r.URL, false
	}
	return m.names[i], m.urls[i], true
}
