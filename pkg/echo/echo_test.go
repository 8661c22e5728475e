package echo

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func start(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg)
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s, "http://" + l.Addr().String()
}

func TestNamesBackendAndCounts(t *testing.T) {
	s, url := start(t, Config{Name: "pod-a"})
	for i := 0; i < 3; i++ {
		resp, err := http.Get(url + "/x")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get(DefaultBackendHeader); got != "pod-a" {
			t.Fatalf("backend header = %q, want pod-a", got)
		}
	}
	if s.Served() != 3 {
		t.Fatalf("served = %d, want 3", s.Served())
	}
}

func TestStatusEndpoint(t *testing.T) {
	_, url := start(t, Config{Name: "b"})
	for _, tc := range []struct {
		path string
		want int
	}{{"/status/503", 503}, {"/status/204", 204}, {"/status/42", 400}, {"/status/x", 400}} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(url + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	s, url := start(t, Config{Name: "g", Latency: 300 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = errors.New(resp.Status)
			}
		}
		done <- err
	}()
	waitFor(t, func() bool { return open(s) > 0 })
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("in-flight request failed on graceful shutdown: %v", err)
	}
}

func TestAbruptShutdownResetsInFlight(t *testing.T) {
	s, url := start(t, Config{Name: "a", Latency: 5 * time.Second, Abrupt: true})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return open(s) > 0 })
	_ = s.Shutdown(context.Background())
	err := <-done
	if err == nil {
		t.Fatal("in-flight request succeeded across an abrupt shutdown")
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Fatalf("want connection reset or EOF, got %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not met in 5s")
}

func open(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func TestMaxConnRequestsRecyclesConnections(t *testing.T) {
	_, url := start(t, Config{Name: "c", MaxConnRequests: 3})
	var dials int
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var closes []int
	for i := 1; i <= 7; i++ {
		resp, err := client.Get(url + "/")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			closes = append(closes, i)
		}
	}
	if dials != 3 {
		t.Fatalf("7 sequential requests with a limit of 3 per connection used %d connections, want 3", dials)
	}
	if len(closes) != 2 || closes[0] != 3 || closes[1] != 6 {
		t.Fatalf("Connection: close on requests %v, want [3 6]", closes)
	}
}
