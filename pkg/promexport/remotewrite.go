package promexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drillkit/drill/pkg/netguard"
)

// DefaultPushInterval is how often a Pusher pushes unless told otherwise.
const DefaultPushInterval = 5 * time.Second

// maxPushTimeout bounds one push, retries included.
const maxPushTimeout = 10 * time.Second

// finalTimeout bounds a final push during a failure streak.
const finalTimeout = 2 * time.Second

// ParseRemoteWriteURL checks the syntax of a Remote-Write endpoint: an
// http or https URL with a host.
func ParseRemoteWriteURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		return nil, fmt.Errorf("remote write URL: %w; give http(s)://HOST:PORT/PATH, e.g. http://127.0.0.1:9090/api/v1/write", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("remote write URL %q: scheme %q: use http or https, e.g. http://127.0.0.1:9090/api/v1/write", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("remote write URL %q has no host, e.g. http://127.0.0.1:9090/api/v1/write", u.Redacted())
	}
	return u, nil
}

// CheckRemoteWriteURL checks a Remote-Write endpoint before anything is
// sent: its syntax, then every address its host resolves to, which must be
// loopback or in the lab range (netguard) unless allowRemote, since the
// metrics name the scenario's requests, Services and nodes. It reports
// every refused address at once.
func CheckRemoteWriteURL(ctx context.Context, raw string, allowRemote bool) error {
	u, err := ParseRemoteWriteURL(raw)
	if err != nil || allowRemote {
		return err
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
		return fmt.Errorf("remote write URL %q: resolve %s: %w", u.Redacted(), host, err)
	}
	var errs []error
	for _, a := range addrs {
		if err := allowDestination(a); err != nil {
			errs = append(errs, fmt.Errorf("remote write URL %q: host %s: %w", u.Redacted(), host, err))
		}
	}
	return errors.Join(errs...)
}

func allowDestination(a netip.Addr) error {
	if netguard.Local(a) {
		return nil
	}
	return fmt.Errorf("%s is neither loopback nor in the lab range %s; pass --remote-write-allow-remote to push metrics there", a.Unmap(), netguard.LabRange())
}

// Pusher pushes the metrics of a Gatherer to a Remote-Write 1.0 endpoint:
// every interval once started, and whenever Push is called. A push that
// fails is retried within a bounded time, then counted; it never stops the
// pushes after it. The first failure of a streak prints one line to warn.
type Pusher struct {
	g        prometheus.Gatherer
	api      *remote.API
	url      string // redacted, for messages
	interval time.Duration
	timeout  time.Duration
	warn     io.Writer

	pushMu sync.Mutex // one push at a time
	lastTS int64      // of the latest push, for strictly increasing timestamps

	mu    sync.Mutex
	stats PushStats
	// streak counts the failures since the latest success.
	streak int
	// periodic cancels the periodic push under way.
	periodic context.CancelFunc
	// finals counts the final pushes waiting or under way.
	finals int

	stop, done chan struct{}
}

// PushStats count a Pusher's pushes.
type PushStats struct {
	Pushes, Failures int
	// LastError is the error of the latest failed push.
	LastError string
}

// NewPusher returns a Pusher of g's metrics to rawURL, every interval
// (DefaultPushInterval when 0). Unless allowRemote, its connections go
// only to loopback and lab addresses, checked at each dial. Check rawURL
// with CheckRemoteWriteURL first.
func NewPusher(g prometheus.Gatherer, rawURL string, interval time.Duration, allowRemote bool, warn io.Writer) (*Pusher, error) {
	u, err := ParseRemoteWriteURL(rawURL)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = DefaultPushInterval
	}
	timeout := min(interval, maxPushTimeout)
	dialer := &net.Dialer{Timeout: timeout}
	if !allowRemote {
		dialer.Control = guardDial
	}
	client := &http.Client{
		// No proxy from the environment: it would hide the destination
		// from the guard.
		Transport: &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: timeout, IdleConnTimeout: 2 * interval},
		Timeout:   timeout,
	}
	api, err := remote.NewAPI(u.String(), remote.WithAPIHTTPClient(client), remote.WithAPIPath(""),
		remote.WithAPIBackoff(remote.BackoffConfig{Min: 250 * time.Millisecond, Max: 2 * time.Second, MaxRetries: 3}))
	if err != nil {
		return nil, fmt.Errorf("remote write: %w", err)
	}
	return &Pusher{g: g, api: api, url: u.Redacted(), interval: interval, timeout: timeout, warn: warn}, nil
}

// guardDial refuses a connection to anything but loopback and the lab
// range; it runs before connect, for every address a name resolves to.
func guardDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("destination %q: %w", address, err)
	}
	return allowDestination(ap.Addr())
}

// URL is the endpoint, its password redacted.
func (p *Pusher) URL() string { return p.url }

// Start pushes every interval until Close.
func (p *Pusher) Start() {
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithCancel(context.Background())
				if p.setPeriodic(cancel) {
					_ = p.push(ctx, p.timeout)
					p.setPeriodic(nil)
				}
				cancel()
			}
		}
	}()
}

// setPeriodic keeps the cancel of the periodic push about to start (nil
// once it ended), and reports false, keeping nothing, when a final push
// waits: the periodic one is then skipped.
func (p *Pusher) setPeriodic(cancel context.CancelFunc) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cancel != nil && p.finals > 0 {
		return false
	}
	p.periodic = cancel
	return true
}

// cancelPeriodic abandons the periodic push under way, if any: what
// follows it sends newer values, or nothing more is to be sent. With
// final, it also keeps periodic pushes from starting until endFinal.
func (p *Pusher) cancelPeriodic(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if final {
		p.finals++
	}
	if p.periodic != nil {
		p.periodic()
	}
}

func (p *Pusher) endFinal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finals--
}

// Close stops the pushes Start began, abandoning one under way.
func (p *Pusher) Close() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.cancelPeriodic(false)
	<-p.done
	p.stop = nil
}

// Push gathers the metrics and pushes them now, in place of a periodic
// push under way, and counts the outcome; with no series yet, nothing is
// sent or counted. It makes the final push of a run: during a failure
// streak it gives up sooner (finalTimeout), so that a failing endpoint
// keeps drill from ending for as little as can be.
func (p *Pusher) Push(ctx context.Context) error {
	p.cancelPeriodic(true)
	defer p.endFinal()
	timeout := p.timeout
	p.mu.Lock()
	if p.streak > 0 {
		timeout = min(timeout, finalTimeout)
	}
	p.mu.Unlock()
	return p.push(ctx, timeout)
}

// push pushes within timeout and counts the outcome, unless ctx was
// cancelled (an abandoned push is no failure of the endpoint's).
func (p *Pusher) push(ctx context.Context, timeout time.Duration) error {
	p.pushMu.Lock()
	defer p.pushMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sent, err := p.send(ctx, timeout)
	if errors.Is(ctx.Err(), context.Canceled) {
		return err
	}
	if sent || err != nil {
		p.count(err)
	}
	return err
}

// send reports whether it had anything to send, and the error of sending
// it within timeout.
func (p *Pusher) send(ctx context.Context, timeout time.Duration) (bool, error) {
	families, err := p.g.Gather()
	if err != nil && len(families) == 0 {
		return false, fmt.Errorf("gather metrics: %w", err)
	}
	ts := max(time.Now().UnixMilli(), p.lastTS+1)
	req := writeRequest(families, ts)
	if len(req.Timeseries) == 0 {
		return false, nil
	}
	var retried error
	_, err = p.api.Write(ctx, remote.WriteV1MessageType, req, remote.WithWriteRetryCallback(func(err error) { retried = err }))
	if err != nil {
		if retried != nil && ctx.Err() != nil {
			// Given up while retrying: the cause is the latest attempt's.
			err = fmt.Errorf("%w, gave up after %s: %w", retried, timeout, err)
		}
		return true, oneLine(err)
	}
	p.lastTS = ts
	return true, nil
}

// oneLine makes an error fit on one line (a receiver's answer may span
// several).
func oneLine(err error) error {
	return errors.New(strings.Join(strings.Fields(err.Error()), " "))
}

func pushes(n int) string {
	if n == 1 {
		return "1 failed push"
	}
	return fmt.Sprintf("%d failed pushes", n)
}

func (p *Pusher) count(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Pushes++
	if err == nil {
		if p.streak > 0 {
			fmt.Fprintf(p.warn, "drill: remote write to %s works again after %s\n", p.url, pushes(p.streak))
		}
		p.streak = 0
		return
	}
	p.stats.Failures++
	p.stats.LastError = err.Error()
	if p.streak == 0 {
		fmt.Fprintf(p.warn, "drill: warning: remote write to %s failed: %v; the run goes on, pushes are retried every %s and failures counted in the report's notes\n", p.url, err, p.interval)
	}
	p.streak++
}

// Stats returns the pushes counted so far.
func (p *Pusher) Stats() PushStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Gatherer is what the Exporter serves and pushes.
func (e *Exporter) Gatherer() prometheus.Gatherer { return e.reg }
