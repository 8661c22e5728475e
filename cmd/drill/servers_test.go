package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is a loopback HTTP server that counts what it did, so tests
// can compare a report's counts with the server's own.
type countingServer struct {
	*httptest.Server
	requests atomic.Uint64
	failed   atomic.Uint64
	resets   atomic.Uint64
}

// failingServer answers every n-th request with 503 and the rest with 200.
func failingServer(t *testing.T, n uint64) *countingServer {
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if s.requests.Add(1)%n == 0 {
			s.failed.Add(1)
			w.Header().Set("X-Drill-Backend", "fail")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("X-Drill-Backend", "ok")
		_, _ = io.WriteString(w, "ok\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// resettingServer resets the connection of every n-th request after reading
// it, as a process killed mid-request would.
func resettingServer(t *testing.T, n uint64) *countingServer {
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.requests.Add(1)%n != 0 {
			_, _ = io.WriteString(w, "ok\n")
			return
		}
		s.resets.Add(1)
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		_ = c.(*net.TCPConn).SetLinger(0)
		_ = c.Close()
	}))
	t.Cleanup(s.Close)
	return s
}

// slowServer answers every request after delay.
func slowServer(t *testing.T, delay time.Duration) *countingServer {
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		time.Sleep(delay)
		_, _ = io.WriteString(w, "slow\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// hangingServer accepts connections and reads what is sent without ever
// answering, as a backend that hangs would. accepted counts connections.
type hangingServer struct {
	URL      string
	accepted atomic.Uint64
}

func newHangingServer(t *testing.T) *hangingServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hangingServer{URL: "http://" + ln.Addr().String()}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return s
}
