package dataplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Outcomes recorded in RequestLog.Outcome.
const (
	OutcomeOK                  = "ok"
	OutcomeNoRule              = "no_rule"                      // 404, no listener rule matched
	OutcomeNoTargets           = "no_registered_targets"        // 503
	OutcomeConnectRefused      = "target_connection_refused"    // 502
	OutcomeConnectError        = "target_connection_error"      // 502
	OutcomeConnectTimeout      = "target_connect_timeout"       // 504
	OutcomeTargetClosed        = "target_closed_connection"     // 502, FIN or RST with the request outstanding
	OutcomeMalformedResponse   = "target_malformed_response"    // 502
	OutcomeResponseTimeout     = "target_response_timeout"      // 504, idle timeout before the response
	OutcomeBodyTimeout         = "target_body_idle_timeout"     // response cut mid-body
	OutcomeBodyError           = "target_body_error"            // target broke the connection mid-body
	OutcomeDeregistrationCut   = "deregistration_delay_expired" // 502, or cut mid-body
	OutcomeClientClosed        = "client_closed"                // 460
	statusClientClosedRequest  = 460
	serverHeader               = "awselb/2.0"
	hopHeaderKeepAliveStandard = "Keep-Alive"
)

// RequestLog is one proxied request, written as a JSON line to the access
// log. Times are measured by the load balancer.
type RequestLog struct {
	Time   time.Time `json:"time"`
	Client string    `json:"client"`
	Method string    `json:"method"`
	Host   string    `json:"host"`
	Path   string    `json:"path"`
	// Rule names the Ingress (namespace/name) the matching rule came from.
	Rule        string `json:"rule,omitempty"`
	TargetGroup string `json:"targetGroup,omitempty"`
	// Target is the target's key (id:port); TargetAddr what was dialled.
	Target     string `json:"target,omitempty"`
	TargetAddr string `json:"targetAddr,omitempty"`
	// TargetState is the target's state when it was chosen (healthy, or
	// initial/unhealthy when failing open).
	TargetState string `json:"targetState,omitempty"`
	// Status is what the client got; TargetStatus what the target answered
	// (0 if it did not).
	Status       int    `json:"status"`
	TargetStatus int    `json:"targetStatus,omitempty"`
	Outcome      string `json:"outcome"`
	Error        string `json:"error,omitempty"`
	ReusedConn   bool   `json:"reusedConn,omitempty"`
	// ConnectSeconds is the time to open the target connection (0 when one
	// was reused); TargetSeconds from sending the request to the first
	// response byte; TotalSeconds the whole request.
	ConnectSeconds float64 `json:"connectSeconds,omitempty"`
	TargetSeconds  float64 `json:"targetSeconds,omitempty"`
	TotalSeconds   float64 `json:"totalSeconds"`
	BytesSent      int64   `json:"bytesSent"`
	TraceID        string  `json:"traceId"`
}

var hopHeaders = []string{"Connection", "Proxy-Connection", hopHeaderKeepAliveStandard, "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// errIdle is the cause of a request cancelled by the idle timeout.
var errIdle = errors.New("idle timeout")

// errResent stops the HTTP client from sending a request again on a new
// connection after the target closed the one it was sent on: an ALB does
// not retry, it answers 502.
var errResent = errors.New("target closed the connection with the request outstanding")

// dialError marks errors from opening the target connection.
type dialError struct {
	err     error
	timeout bool
}

func (e *dialError) Error() string { return "connect to target: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func (lb *LoadBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := RequestLog{Time: start.UTC(), Method: r.Method, Host: r.Host, Path: r.URL.Path, TraceID: traceID(start)}
	rec.Client, _, _ = net.SplitHostPort(r.RemoteAddr)
	defer func() {
		rec.TotalSeconds = time.Since(start).Seconds()
		lb.logRequest(rec)
	}()
	rule, ok := lb.route(r.Host, r.URL.Path)
	if !ok {
		rec.Status, rec.Outcome = http.StatusNotFound, OutcomeNoRule
		writeError(w, http.StatusNotFound)
		return
	}
	rec.Rule = rule.Source
	tg := rule.pick()
	if tg == nil {
		rec.Status, rec.Outcome = http.StatusServiceUnavailable, OutcomeNoTargets
		writeError(w, http.StatusServiceUnavailable)
		return
	}
	rec.TargetGroup = tg.Name()
	t := tg.pick()
	if t == nil {
		rec.Status, rec.Outcome = http.StatusServiceUnavailable, OutcomeNoTargets
		writeError(w, http.StatusServiceUnavailable)
		return
	}
	defer tg.release(t)
	rec.Target, rec.TargetAddr = t.spec.Key(), t.spec.Addr
	tg.mu.Lock()
	rec.TargetState = string(t.state)
	tg.mu.Unlock()
	lb.forward(w, r, t, &rec)
}

func (lb *LoadBalancer) forward(w http.ResponseWriter, r *http.Request, t *target, rec *RequestLog) {
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	stopGone := context.AfterFunc(t.gone, func() { cancel(errDeregistered) })
	defer stopGone()
	idle := newIdleTimer(lb.cfg.IdleTimeout, func() { cancel(errIdle) })
	defer idle.stop()

	var connectStart, sent time.Time
	var connectDur time.Duration
	var written atomic.Bool
	trace := &httptrace.ClientTrace{
		GetConn: func(string) {
			if written.Load() {
				cancel(errResent)
			}
			connectStart = time.Now()
		},
		GotConn:      func(i httptrace.GotConnInfo) { rec.ReusedConn = i.Reused; idle.start() },
		ConnectStart: func(string, string) { connectStart = time.Now() },
		ConnectDone: func(string, string, error) {
			connectDur = time.Since(connectStart)
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			written.Store(i.Err == nil)
			sent = time.Now()
			idle.touch()
		},
	}
	out := r.Clone(httptrace.WithClientTrace(ctx, trace))
	out.RequestURI = ""
	out.URL.Scheme = "http"
	out.URL.Host = t.spec.Addr
	if r.ContentLength == 0 {
		out.Body = nil
	}
	out.Close = false
	removeHopHeaders(out.Header)
	lb.forwardedHeaders(out, r, rec.TraceID)

	resp, err := t.transport.RoundTrip(out)
	rec.ConnectSeconds = connectDur.Seconds()
	if err != nil {
		status, outcome := lb.classify(ctx, r, err)
		rec.Status, rec.Outcome, rec.Error = status, outcome, errorText(ctx, err)
		writeError(w, status)
		return
	}
	defer resp.Body.Close()
	if !sent.IsZero() {
		rec.TargetSeconds = time.Since(sent).Seconds()
	}
	rec.TargetStatus = resp.StatusCode
	rec.Status, rec.Outcome = resp.StatusCode, OutcomeOK
	removeHopHeaders(resp.Header)
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	n, err := copyBody(w, resp.Body, idle)
	rec.BytesSent = n
	if err != nil {
		switch {
		case errors.Is(context.Cause(ctx), errIdle):
			rec.Outcome = OutcomeBodyTimeout
		case errors.Is(context.Cause(ctx), errDeregistered):
			rec.Outcome = OutcomeDeregistrationCut
		case r.Context().Err() != nil:
			rec.Outcome = OutcomeClientClosed
		default:
			rec.Outcome = OutcomeBodyError
		}
		rec.Error = errorText(ctx, err)
		// The status line is gone: cut the client connection so it sees
		// the failure, like an ALB that loses its target mid-response.
		panic(http.ErrAbortHandler)
	}
}

// targetDialer wraps the configured dialer with the connect timeout and
// marks its errors as connection failures.
func (lb *LoadBalancer) targetDialer() DialFunc {
	dial, timeout := lb.cfg.Dial, lb.cfg.ConnectTimeout
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		c, err := dial(dctx, network, addr)
		if err != nil {
			var ne net.Error
			timedOut := ctx.Err() == nil && (errors.Is(dctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout())
			return nil, &dialError{err: err, timeout: timedOut}
		}
		return c, nil
	}
}

func (lb *LoadBalancer) classify(ctx context.Context, r *http.Request, err error) (int, string) {
	var de *dialError
	switch {
	case r.Context().Err() != nil:
		return statusClientClosedRequest, OutcomeClientClosed
	case errors.Is(context.Cause(ctx), errDeregistered):
		return http.StatusBadGateway, OutcomeDeregistrationCut
	case errors.Is(context.Cause(ctx), errResent):
		return http.StatusBadGateway, OutcomeTargetClosed
	case errors.As(err, &de) && de.timeout:
		return http.StatusGatewayTimeout, OutcomeConnectTimeout
	case errors.As(err, &de) && errors.Is(err, syscall.ECONNREFUSED):
		return http.StatusBadGateway, OutcomeConnectRefused
	case errors.As(err, &de):
		return http.StatusBadGateway, OutcomeConnectError
	case errors.Is(context.Cause(ctx), errIdle):
		return http.StatusGatewayTimeout, OutcomeResponseTimeout
	case strings.Contains(err.Error(), "malformed"):
		return http.StatusBadGateway, OutcomeMalformedResponse
	default:
		return http.StatusBadGateway, OutcomeTargetClosed
	}
}

func errorText(ctx context.Context, err error) string {
	if c := context.Cause(ctx); c != nil && c != context.Canceled {
		return c.Error() + ": " + err.Error()
	}
	return err.Error()
}

func (lb *LoadBalancer) forwardedHeaders(out, in *http.Request, trace string) {
	client, _, err := net.SplitHostPort(in.RemoteAddr)
	if err == nil {
		if prior := in.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			client = strings.Join(prior, ", ") + ", " + client
		}
		out.Header.Set("X-Forwarded-For", client)
	}
	out.Header.Set("X-Forwarded-Proto", "http")
	if _, port, err := net.SplitHostPort(lb.Addr()); err == nil {
		out.Header.Set("X-Forwarded-Port", port)
	}
	if out.Header.Get("X-Amzn-Trace-Id") == "" {
		out.Header.Set("X-Amzn-Trace-Id", trace)
	}
}

func removeHopHeaders(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, k := range strings.Split(f, ",") {
			if k = strings.TrimSpace(k); k != "" {
				h.Del(k)
			}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// traceID makes an X-Amzn-Trace-Id root: 1-<epoch seconds hex>-<96 random bits>.
func traceID(t time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", t.Unix(), hex.EncodeToString(b[:]))
}

// writeError writes the load balancer's own error page.
func writeError(w http.ResponseWriter, status int) {
	if status == statusClientClosedRequest {
		return // nobody is listening
	}
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	body := "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text + "</h1></center>\r\n</body>\r\n</html>\r\n"
	h := w.Header()
	h.Set("Server", serverHeader)
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (lb *LoadBalancer) logRequest(rec RequestLog) {
	if lb.cfg.OnRequest != nil {
		lb.cfg.OnRequest(rec)
	}
	if lb.cfg.AccessLog == nil {
		return
	}
	b, err := jsonLine(rec)
	if err != nil {
		return
	}
	lb.logMu.Lock()
	defer lb.logMu.Unlock()
	_, _ = lb.cfg.AccessLog.Write(b)
}

// copyBody streams the response, touching the idle timer on every read and
// flushing so streamed responses reach the client as they come.
func copyBody(w http.ResponseWriter, body io.Reader, idle *idleTimer) (int64, error) {
	buf := make([]byte, 32*1024)
	fl, _ := w.(http.Flusher)
	var n int64
	for {
		k, err := body.Read(buf)
		if k > 0 {
			idle.touch()
			m, werr := w.Write(buf[:k])
			n += int64(m)
			if werr != nil {
				return n, werr
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// idleTimer fires once nothing happened for d after start.
type idleTimer struct {
	d    time.Duration
	fire func()
	mu   sync.Mutex
	t    *time.Timer
	done bool
}

func newIdleTimer(d time.Duration, fire func()) *idleTimer {
	return &idleTimer{d: d, fire: fire}
}

func (i *idleTimer) start() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.t == nil && !i.done {
		i.t = time.AfterFunc(i.d, i.fire)
	}
}

func (i *idleTimer) touch() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.t != nil && !i.done {
		i.t.Reset(i.d)
	}
}

func (i *idleTimer) stop() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.done = true
	if i.t != nil {
		i.t.Stop()
	}
}
