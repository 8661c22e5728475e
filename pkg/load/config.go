// Package load drives HTTP load with the vegeta library: phased pacing
// (constant rates and linear ramps), weighted requests, a dial guard that keeps
// traffic on allowed addresses, and raw results streamed in vegeta's encoding.
package load

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/redact"
)

// Defaults applied by Run to zero-valued Config fields; except for
// DefaultMaxWorkers they are vegeta's own.
// Boolean fields have no defaults: KeepAlive and HTTP2 are false unless set
// (`vegeta attack` turns both on by default).
const (
	// DefaultWorkers is the initial number of attack workers.
	DefaultWorkers = vegeta.DefaultWorkers
	// DefaultConnections is the number of idle connections kept per host.
	DefaultConnections = vegeta.DefaultConnections
	// DefaultMaxWorkers caps the workers when Config.MaxWorkers is zero
	// (unless Config.Workers is more: then Workers is the cap).
	// vegeta itself has no cap: whenever every worker is busy at a tick it
	// starts another (a goroutine and, with it, a connection: some 40 KiB
	// together), and workers live until the attack ends. A target that
	// stalls, or a machine that hiccups, would grow memory and file
	// descriptors without bound. With the cap, a stall that holds this many
	// requests in flight lowers the rate sent instead: compare
	// Attack.Sent with Attack.Pacer().Hits to see the shortfall.
	DefaultMaxWorkers = 2048
	// DefaultIdleTimeout closes connections that stayed idle this long, so
	// that the surplus opened during a stall does not stay open for the rest
	// of the run. The connections in use at a steady rate never idle so long.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultTimeout bounds each request, from dial to the last body byte.
	DefaultTimeout = vegeta.DefaultTimeout
	// DefaultMethod is the method of a Request that names none.
	DefaultMethod = http.MethodGet
)

// Config is a load run in typed form.
type Config struct {
	// Phases follow one another; the run ends after the last one.
	Phases []Phase
	// Workers is the initial number of workers (DefaultWorkers when zero);
	// MaxWorkers caps how many vegeta may start to keep the rate when
	// responses are slow (when zero, DefaultMaxWorkers, or Workers when
	// that is more).
	Workers, MaxWorkers uint64
	// Connections is the number of idle connections kept per host
	// (DefaultConnections when zero); MaxConnections caps open connections
	// per host (unlimited when zero).
	Connections, MaxConnections int
	// KeepAlive reuses connections; when false every request opens its own.
	KeepAlive bool
	// HTTP2 negotiates HTTP/2 over TLS (ALPN), falling back to HTTP/1.1.
	// H2C speaks HTTP/2 only: without TLS (prior knowledge) to http:// URLs
	// and over TLS to https:// URLs.
	HTTP2, H2C bool
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool
	// Timeout bounds each request (DefaultTimeout when zero).
	Timeout time.Duration
	// Headers are sent with every request; a Request's own Header wins.
	Headers http.Header
	// Requests are sent in proportion to their weights.
	Requests []Request
	// Redactor removes secrets from the results Run hands out (error
	// messages, response bodies and headers); URLs of results never carry
	// their userinfo, even when it is nil.
	Redactor *redact.Redactor
	// Allow is asked about every address before a connection to it is
	// opened; a non-nil error refuses the dial before any packet leaves.
	// Nil allows loopback addresses only (see Loopback).
	Allow func(netip.Addr) error
	// MaxBody is how many bytes of each response body its result keeps (and
	// results.bin stores); the rest is still read, then discarded, so
	// latencies cover whole responses. Negative keeps whole bodies. Unlike
	// the fields above, zero is not a default: it keeps none. Scenarios
	// default to DefaultMaxBody.
	MaxBody int64
}

// DefaultMaxBody is the body cap of a scenario that sets none: enough to
// read an error page, small enough that results.bin does not grow with the
// size of the responses.
const DefaultMaxBody = 4096

// Phase is a stretch of the run at a constant rate (From == To) or ramping
// linearly from From to To. A single phase with a zero From and To sends as
// fast as the workers allow, like vegeta's rate 0; it needs an explicit
// MaxWorkers, the concurrency it runs at.
type Phase struct {
	Duration time.Duration
	From, To vegeta.Rate
}

// Request is one kind of request of the mix.
type Request struct {
	// Name identifies the request in results (vegeta.Result.Attack). Empty
	// means "METHOD URL".
	Name   string
	Method string // DefaultMethod when empty
	URL    string
	Header http.Header
	Body   []byte
	// Weight is the request's share of the mix relative to the others (1
	// when zero).
	Weight int
}

// unlimited reports whether the config asks for vegeta's unlimited rate.
func (c Config) unlimited() bool {
	return len(c.Phases) == 1 && c.Phases[0].From.Freq == 0 && c.Phases[0].To.Freq == 0
}

// Validate reports every problem of the config at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Phases) == 0 {
		add("load: no phases: give at least one phase with a duration and a rate")
	}
	for i, p := range c.Phases {
		if p.Duration <= 0 {
			add("load: phase %d: duration %s must be positive", i+1, p.Duration)
		}
		for _, r := range []struct {
			name string
			rate vegeta.Rate
		}{{"from", p.From}, {"to", p.To}} {
			if r.rate.Freq < 0 || r.rate.Per < 0 || (r.rate.Freq > 0 && r.rate.Per == 0) {
				add("load: phase %d: %s rate %d/%s must be a positive count per positive duration", i+1, r.name, r.rate.Freq, r.rate.Per)
			}
		}
		if p.From.Freq == 0 && p.To.Freq == 0 && len(c.Phases) > 1 {
			add("load: phase %d: a rate of 0 (as fast as possible) is only allowed as the only phase", i+1)
		}
	}
	if c.unlimited() && c.MaxWorkers == 0 {
		add("load: an unlimited rate (0) needs max workers to bound concurrency")
	}
	if c.Workers > c.maxWorkers() {
		add("load: workers %d exceed max workers %d", c.Workers, c.maxWorkers())
	}
	if c.Connections < 0 || c.MaxConnections < 0 {
		add("load: connections and max connections must not be negative")
	}
	if c.Timeout < 0 {
		add("load: timeout %s must not be negative", c.Timeout)
	}
	if len(c.Requests) == 0 {
		add("load: no requests: give at least one request with a URL")
	}
	names := map[string]int{}
	for i, r := range c.Requests {
		name := r.name()
		if j, dup := names[name]; dup {
			add("load: request %d: name %q is already used by request %d: give each request its own name", i+1, name, j+1)
		} else {
			names[name] = i
		}
		if r.Weight < 0 {
			add("load: request %q: weight %d must not be negative", name, r.Weight)
		}
		u, err := url.Parse(r.URL)
		switch {
		case err != nil:
			add("load: request %q: %w", name, err)
		case u.Scheme != "http" && u.Scheme != "https":
			add("load: request %q: URL %q must start with http:// or https://", name, r.URL)
		case u.Hostname() == "":
			add("load: request %q: URL %q has no host", name, r.URL)
		}
		if strings.ContainsAny(r.Method, " \t\r\n") {
			add("load: request %q: method %q contains white space", name, r.Method)
		}
	}
	return errors.Join(errs...)
}

func (r Request) method() string {
	if r.Method == "" {
		return DefaultMethod
	}
	return r.Method
}

func (r Request) name() string {
	if r.Name == "" {
		return r.method() + " " + redact.URL(r.URL)
	}
	return r.Name
}

func (r Request) weight() int {
	if r.Weight == 0 {
		return 1
	}
	return r.Weight
}

func (c Config) workers() uint64 {
	if c.Workers == 0 {
		return min(DefaultWorkers, c.maxWorkers())
	}
	return c.Workers
}

func (c Config) maxWorkers() uint64 {
	if c.MaxWorkers == 0 {
		return max(DefaultMaxWorkers, c.Workers)
	}
	return c.MaxWorkers
}
