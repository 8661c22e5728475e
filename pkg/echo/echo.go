// Package echo is drill's built-in HTTP workload: a small server that names
// the backend that served each response, can add latency, and shuts down
// either gracefully or abruptly, so rollouts of it show what clients see.
package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBackendHeader is the response header that names the backend.
const DefaultBackendHeader = "X-Drill-Backend"

// Config configures a Server.
type Config struct {
	// Name is reported in BackendHeader on every response.
	Name string
	// BackendHeader defaults to DefaultBackendHeader.
	BackendHeader string
	// Latency is added before every response of the root handler.
	Latency time.Duration
	// Abrupt makes Shutdown reset every open connection at once, as a
	// killed process would, instead of draining in-flight requests.
	Abrupt bool
	// DrainTimeout bounds a graceful Shutdown.
	DrainTimeout time.Duration
	// MaxConnRequests, when above 0, closes a keep-alive connection after
	// that many requests (with "Connection: close" on the last response),
	// as web servers with a keep-alive request limit do; clients and load
	// balancers must then open new connections as they go.
	MaxConnRequests int
}

// Server is the echo server. Its zero value is not usable; call New.
type Server struct {
	cfg      Config
	http     *http.Server
	served   atomic.Uint64
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	shutdown atomic.Bool
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.BackendHeader == "" {
		cfg.BackendHeader = DefaultBackendHeader
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	s := &Server{cfg: cfg, conns: map[net.Conn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/status/{code}", s.status)
	mux.HandleFunc("/", s.root)
	s.http = &http.Server{Handler: mux, ConnState: s.track, ConnContext: withConnCounter, ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Served returns how many requests the root handler answered.
func (s *Server) Served() uint64 { return s.served.Load() }

// Serve answers requests on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the server: gracefully (in-flight requests finish, idle
// keep-alive connections close) or, with Config.Abrupt, by resetting every
// connection at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	if s.cfg.Abrupt {
		s.resetAll()
		return s.http.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DrainTimeout)
	defer cancel()
	return s.http.Shutdown(ctx)
}

func (s *Server) header(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(s.cfg.BackendHeader, s.cfg.Name)
	if s.shutdown.Load() || s.connExhausted(r) {
		w.Header().Set("Connection", "close")
	}
}

type connCounterKey struct{}

// withConnCounter gives every connection its own request counter.
func withConnCounter(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connCounterKey{}, new(atomic.Int64))
}

// connExhausted counts r on its connection and reports whether that was
// the connection's last allowed request.
func (s *Server) connExhausted(r *http.Request) bool {
	n, ok := r.Context().Value(connCounterKey{}).(*atomic.Int64)
	return ok && s.cfg.MaxConnRequests > 0 && n.Add(1) >= int64(s.cfg.MaxConnRequests)
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Latency > 0 {
		select {
		case <-time.After(s.cfg.Latency):
		case <-r.Context().Done():
			return
		}
	}
	_, _ = io.Copy(io.Discard, r.Body)
	s.served.Add(1)
	s.header(w, r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s %s %s\n", s.cfg.Name, r.Method, r.URL.Path)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.header(w, r)
	if s.shutdown.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	var code int
	if _, err := fmt.Sscanf(r.PathValue("code"), "%d", &code); err != nil || code < 200 || code > 599 {
		http.Error(w, "status code must be 200-599", http.StatusBadRequest)
		return
	}
	s.header(w, r)
	w.WriteHeader(code)
}

func (s *Server) track(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		s.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

func (s *Server) resetAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}
