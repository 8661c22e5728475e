package run

import (
	"fmt"
	"net/http"
	"net/netip"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/scenario"
)

// loadConfig maps a scenario's load section onto the load engine, sending
// requests to base.
func loadConfig(l scenario.LoadSpec, base string, allow func(netip.Addr) error) (load.Config, error) {
	cfg := load.Config{
		Workers:            uint64(l.Workers),
		MaxWorkers:         uint64(l.MaxWorkers),
		Connections:        l.Connections,
		MaxConnections:     l.MaxConnections,
		KeepAlive:          l.KeepAlive,
		HTTP2:              l.HTTP2,
		H2C:                l.H2C,
		InsecureSkipVerify: l.InsecureSkipVerify,
		Timeout:            l.Timeout,
		Headers:            header(l.Headers),
		Allow:              allow,
		MaxBody:            l.MaxBody,
	}
	if len(l.Phases) == 0 {
		r := rate(l.Rate)
		cfg.Phases = []load.Phase{{Duration: l.Duration, From: r, To: r}}
	}
	for _, p := range l.Phases {
		from, to := rate(p.From), rate(p.To)
		if !p.Rate.IsZero() {
			from, to = rate(p.Rate), rate(p.Rate)
		}
		cfg.Phases = append(cfg.Phases, load.Phase{Duration: p.Duration, From: from, To: to})
	}
	for _, r := range l.Requests {
		u, err := r.ResolveURL(base)
		if err != nil {
			return cfg, fmt.Errorf("load: %w", err)
		}
		cfg.Requests = append(cfg.Requests, load.Request{
			Name: r.Name, Method: r.Method, URL: u, Header: header(r.Headers), Body: []byte(r.Body), Weight: r.Weight,
		})
	}
	return cfg, nil
}

func rate(r scenario.Rate) vegeta.Rate { return vegeta.Rate{Freq: r.Freq, Per: r.Per} }

func header(m map[string]string) http.Header {
	if len(m) == 0 {
		return nil
	}
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}
