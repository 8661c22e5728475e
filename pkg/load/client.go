package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// NotAllowedError is the error of a dial the Allow guard refused. The socket
// was never connected: nothing was sent to Addr.
type NotAllowedError struct {
	Addr netip.Addr
	Err  error
}

// Error implements error.
func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("destination %s not allowed: %v", e.Addr, e.Err)
}

// Unwrap returns the guard's reason.
func (e *NotAllowedError) Unwrap() error { return e.Err }

// Loopback allows loopback addresses (127.0.0.0/8, ::1) only. It is the guard
// of a Config whose Allow is nil.
func Loopback(a netip.Addr) error {
	if a.Unmap().IsLoopback() {
		return nil
	}
	return errors.New("only loopback addresses are allowed")
}

func (c Config) allow() func(netip.Addr) error {
	if c.Allow == nil {
		return Loopback
	}
	return c.Allow
}

// guard checks the address of a socket about to connect. It runs as the
// dialer's Control function, after the socket was created and before connect,
// so it covers every dial: redirects, retries and every resolved address.
func guard(allow func(netip.Addr) error) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("destination %q: %w", address, err)
		}
		a := ap.Addr().Unmap()
		if err := allow(a); err != nil {
			return &NotAllowedError{Addr: a, Err: err}
		}
		return nil
	}
}

// NewClient returns the HTTP client Run gives vegeta. It reproduces vegeta's
// transport settings (idle and maximum connections per host, keep-alive,
// HTTP/2 over TLS, h2c, TLS verification, timeout, redirects), closes
// connections idle for DefaultIdleTimeout and adds the Allow guard to its
// dialer. Proxies from the environment are not used: a
// proxy would hide the real destination from the guard.
func NewClient(c Config) *http.Client { return newClient(c, nil) }

// newClient is NewClient with its connections tracked, when tracked is
// not nil.
func newClient(c Config, tracked *connSet) *http.Client {
	dialer := &net.Dialer{
		KeepAlive: 30 * time.Second,
		Control:   guard(c.allow()),
	}
	if !c.KeepAlive {
		dialer.KeepAlive = -1
	}
	conns := c.Connections
	if conns == 0 {
		conns = DefaultConnections
	}
	protocols := new(http.Protocols)
	switch {
	case c.H2C:
		// HTTP/1 off makes http:// URLs speak HTTP/2 with prior knowledge.
		protocols.SetUnencryptedHTTP2(true)
		protocols.SetHTTP2(true)
	case c.HTTP2:
		protocols.SetHTTP1(true)
		protocols.SetHTTP2(true)
	default:
		protocols.SetHTTP1(true)
	}
	dial := dialFunc(dialer.DialContext)
	if tracked != nil {
		dial = tracked.dialer(dial)
	}
	tr := &http.Transport{
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: c.InsecureSkipVerify},
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     c.MaxConnections,
		DisableKeepAlives:   !c.KeepAlive,
		ForceAttemptHTTP2:   c.HTTP2 || c.H2C,
		Protocols:           protocols,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     DefaultIdleTimeout,
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// CheckTargets resolves the host of every request and asks the Allow guard
// about each address, so that a run aimed at a forbidden destination fails
// before it starts. It reports every refused host at once.
func CheckTargets(ctx context.Context, c Config) error {
	allow := c.allow()
	var errs []error
	done := map[string]bool{}
	for _, r := range c.Requests {
		u, err := url.Parse(r.URL)
		if err != nil {
			errs = append(errs, fmt.Errorf("request %q: %w", r.name(), err))
			continue
		}
		host := u.Hostname()
		if done[host] {
			continue
		}
		done[host] = true
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			errs = append(errs, fmt.Errorf("request %q: resolve %s: %w", r.name(), host, err))
			continue
		}
		for _, a := range addrs {
			a = a.Unmap()
			if err := allow(a); err != nil {
				errs = append(errs, fmt.Errorf("request %q: host %s: %w; point the scenario at an allowed address or opt in to this destination", r.name(), host, &NotAllowedError{Addr: a, Err: err}))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckReachable opens one connection to every host and port the load goes
// to, through the same guard as the load itself, so that a target that is
// down fails the run before it starts, with advice.
func CheckReachable(ctx context.Context, c Config) error {
	d := net.Dialer{Timeout: 5 * time.Second, Control: guard(c.allow())}
	seen := map[string]bool{}
	for _, r := range c.Requests {
		u, err := url.Parse(r.URL)
		if err != nil {
			return fmt.Errorf("request %q: %w", r.name(), err)
		}
		port := u.Port()
		if port == "" {
			port = "80"
			if u.Scheme == "https" {
				port = "443"
			}
		}
		addr := net.JoinHostPort(u.Hostname(), port)
		if seen[addr] {
			continue
		}
		seen[addr] = true
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			hint := "is the service running and listening there?"
			if errors.Is(err, syscall.ECONNREFUSED) && isLoopbackHost(u.Hostname()) {
				hint += " (drill echo serves one on 127.0.0.1:18080)"
			}
			return fmt.Errorf("cannot reach %s: %w; %s", addr, err, hint)
		}
		conn.Close()
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().IsLoopback()
	}
	return host == "localhost"
}
