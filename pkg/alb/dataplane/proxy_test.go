package dataplane_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
)

func TestNoTargetsAndNoRule(t *testing.T) {
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{})
	code, body := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/x")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "503 Service Temporarily Unavailable") && !strings.Contains(body, "503") {
		t.Errorf("no targets: got %d %q, want 503", code, body)
	}
	f.LB.SetRules([]dataplane.Rule{{Host: "shop.example", TargetGroup: f.TG}})
	if code, _ := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/x"); code != http.StatusNotFound {
		t.Errorf("no matching rule: got %d, want 404", code)
	}
	recs := f.Log.RecordsN(t, 2)
	if len(recs) != 2 || recs[0].Outcome != dataplane.OutcomeNoTargets || recs[0].Status != 503 || recs[1].Outcome != dataplane.OutcomeNoRule {
		t.Errorf("access log: %+v", recs)
	}
}

func TestRoundRobinHeadersAndKeepAlive(t *testing.T) {
	var conns [2]atomic.Int32
	var got [2]atomic.Int32
	var hdr atomic.Value
	mk := func(i int) *httptest.Server {
		s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got[i].Add(1)
			hdr.Store(r.Header.Clone())
			io.WriteString(w, "hello")
		}))
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns[i].Add(1)
			}
		}
		s.Start()
		t.Cleanup(s.Close)
		return s
	}
	a, b := mk(0), mk(1)
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{})
	f.TG.Register(dataplanetest.Spec(dataplanetest.HostPort(a.URL)), dataplanetest.Spec(dataplanetest.HostPort(b.URL)))
	dataplanetest.WaitState(t, f.TG, dataplanetest.Spec(dataplanetest.HostPort(a.URL)).Key(), dataplane.StateHealthy)
	dataplanetest.WaitState(t, f.TG, dataplanetest.Spec(dataplanetest.HostPort(b.URL)).Key(), dataplane.StateHealthy)
	healthConns := [2]int32{conns[0].Load(), conns[1].Load()}
	hc0, hc1 := got[0].Load(), got[1].Load()
	c := &http.Client{}
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest("GET", f.LB.URL()+"/p", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	recs := f.Log.RecordsN(t, 20)
	per := map[string]int{}
	reused := 0
	for _, r := range recs {
		per[r.Target]++
		if r.ReusedConn {
			reused++
		}
		if r.Outcome != dataplane.OutcomeOK || r.TargetStatus != 200 || r.TargetGroup != "tg" || r.Rule != "test/ingress" {
			t.Errorf("record %+v", r)
		}
	}
	if len(per) != 2 || per[dataplanetest.Spec(dataplanetest.HostPort(a.URL)).Key()] != 10 {
		t.Errorf("round robin over two healthy targets: %v, want 10 each", per)
	}
	if reused < 16 {
		t.Errorf("keep-alive: only %d of 20 requests reused a target connection", reused)
	}
	if n := conns[0].Load() + conns[1].Load() - healthConns[0] - healthConns[1]; n > 8 {
		t.Logf("health checks %d/%d", got[0].Load()-hc0, got[1].Load()-hc1)
	}
	h := hdr.Load().(http.Header)
	if xff := h.Get("X-Forwarded-For"); xff != "203.0.113.9, 127.0.0.1" {
		t.Errorf("X-Forwarded-For %q", xff)
	}
	_, port, _ := net.SplitHostPort(f.LB.Addr())
	if h.Get("X-Forwarded-Proto") != "http" || h.Get("X-Forwarded-Port") != port || !strings.HasPrefix(h.Get("X-Amzn-Trace-Id"), "Root=1-") {
		t.Errorf("forwarded headers %v", h)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// rawServer accepts connections and hands each to fn after reading the
// request head.
func rawServer(t *testing.T, fn func(c *net.TCPConn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				var head []byte
				for !bytes.Contains(head, []byte("\r\n\r\n")) {
					n, err := c.Read(buf)
					if err != nil {
						c.Close()
						return
					}
					head = append(head, buf[:n]...)
				}
				if bytes.Contains(head, []byte("ELB-HealthChecker")) {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
					c.Close()
					return
				}
				fn(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}

// blackhole returns a loopback address whose listener's accept queue is
// full, so the kernel drops further SYNs and connecting hangs.
func blackhole(t *testing.T) string {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Fill the accept queue (backlog 0 admits one); stop once a dial hangs.
	for i := 0; i < 4; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		t.Skip("kernel did not drop SYNs on a full accept queue")
	}
	return addr
}

func TestErrorResponses(t *testing.T) {
	tests := []struct {
		name    string
		target  func(t *testing.T) string
		status  int
		outcome string
	}{
		{"refused", closedPort, 502, dataplane.OutcomeConnectRefused},
		{"reset with request outstanding", func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				c.SetLinger(0)
				c.Close()
			})
		}, 502, dataplane.OutcomeTargetClosed},
		{"close with request outstanding", func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) { c.Close() })
		}, 502, dataplane.OutcomeTargetClosed},
		{"malformed response", func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				io.WriteString(c, "HTTQ/9 nonsense\r\n\r\n")
				c.Close()
			})
		}, 502, dataplane.OutcomeMalformedResponse},
		{"connect timeout", blackhole, 504, dataplane.OutcomeConnectTimeout},
		{"response slower than the idle timeout", func(t *testing.T) string {
			return rawServer(t, func(c *net.TCPConn) {
				time.Sleep(1500 * time.Millisecond)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
				c.Close()
			})
		}, 504, dataplane.OutcomeResponseTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := dataplanetest.New(t, dataplane.Config{ConnectTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}, dataplane.TargetGroupConfig{HealthCheck: dataplane.HealthCheck{Interval: time.Hour, Timeout: time.Second}})
			addr := tt.target(t)
			f.TG.Register(dataplanetest.Spec(addr))
			code, body := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/")
			if code != tt.status {
				t.Errorf("status %d, want %d (%s)", code, tt.status, body)
			}
			recs := f.Log.RecordsN(t, 1)
			if len(recs) != 1 || recs[0].Outcome != tt.outcome || recs[0].Status != tt.status || recs[0].Target != dataplanetest.Spec(addr).Key() {
				t.Errorf("access log %+v, want outcome %s", recs, tt.outcome)
			}
		})
	}
}

// TestNoRetryOnReusedConnection: a target that closes a keep-alive
// connection after reading the next request on it gets a 502 for that
// request, as from an ALB; the request is not sent again on a new
// connection (which this target would have answered).
func TestNoRetryOnReusedConnection(t *testing.T) {
	addr := rawServer(t, func(c *net.TCPConn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		buf := make([]byte, 4096)
		var head []byte
		for !bytes.Contains(head, []byte("\r\n\r\n")) {
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			head = append(head, buf[:n]...)
		}
		c.Close() // the second request is outstanding
	})
	f := dataplanetest.New(t, dataplane.Config{IdleTimeout: 5 * time.Second}, dataplane.TargetGroupConfig{HealthCheck: dataplane.HealthCheck{Interval: time.Hour, Timeout: time.Second}})
	f.TG.Register(dataplanetest.Spec(addr))
	client := &http.Client{}
	if code, body := dataplanetest.Get(t, client, f.LB.URL()+"/first"); code != 200 {
		t.Fatalf("first request: status %d (%s), want 200", code, body)
	}
	code, body := dataplanetest.Get(t, client, f.LB.URL()+"/second")
	if code != http.StatusBadGateway {
		t.Fatalf("second request on the reused target connection: status %d (%s), want 502", code, body)
	}
	recs := f.Log.RecordsN(t, 2)
	if len(recs) != 2 || !recs[1].ReusedConn || recs[1].Outcome != dataplane.OutcomeTargetClosed {
		t.Fatalf("access log %+v: want the second request on a reused connection, outcome %s", recs, dataplane.OutcomeTargetClosed)
	}
}

func TestDrainingFinishesInFlight(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == dataplane.HealthCheckUserAgent {
			return
		}
		started <- struct{}{}
		<-release
		io.WriteString(w, "slow done")
	}))
	t.Cleanup(srv.Close)
	f := dataplanetest.New(t, dataplane.Config{IdleTimeout: 30 * time.Second}, dataplane.TargetGroupConfig{DeregistrationDelay: 20 * time.Second})
	s := dataplanetest.Spec(dataplanetest.HostPort(srv.URL))
	f.TG.Register(s)
	dataplanetest.WaitState(t, f.TG, s.Key(), dataplane.StateHealthy)
	type res struct {
		code int
		body string
	}
	done := make(chan res, 1)
	go func() {
		resp, err := http.Get(f.LB.URL() + "/slow")
		if err != nil {
			done <- res{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- res{resp.StatusCode, string(b)}
	}()
	<-started
	f.TG.Deregister(s.Key())
	h := dataplanetest.WaitState(t, f.TG, s.Key(), dataplane.StateDraining)
	if h.Reason != dataplane.ReasonDeregistrationInProgress || h.InFlight != 1 {
		t.Errorf("draining target health %+v", h)
	}
	if code, _ := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/new"); code != 503 {
		t.Errorf("new request to a group whose only target drains: %d, want 503", code)
	}
	close(release)
	if r := <-done; r.code != 200 || r.body != "slow done" {
		t.Errorf("in-flight request during draining: %d %q, want 200", r.code, r.body)
	}
}

func TestDeregistrationDelayExpiryCutsRequest(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == dataplane.HealthCheckUserAgent {
			return
		}
		started <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	f := dataplanetest.New(t, dataplane.Config{IdleTimeout: 30 * time.Second}, dataplane.TargetGroupConfig{DeregistrationDelay: 200 * time.Millisecond})
	s := dataplanetest.Spec(dataplanetest.HostPort(srv.URL))
	f.TG.Register(s)
	done := make(chan int, 1)
	go func() {
		resp, err := http.Get(f.LB.URL() + "/slow")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-started
	f.TG.Deregister(s.Key())
	if code := <-done; code != 502 {
		t.Errorf("request outliving the deregistration delay: %d, want 502", code)
	}
	if n := len(f.TG.Health()); n != 0 {
		t.Errorf("target still listed after the delay: %+v", f.TG.Health())
	}
	recs := f.Log.RecordsN(t, 1)
	if len(recs) != 1 || recs[0].Outcome != dataplane.OutcomeDeregistrationCut {
		t.Errorf("access log %+v", recs)
	}
}

func TestHealthTransitions(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	var sawUA atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			sawUA.Store(r.Header.Get("User-Agent"))
			w.WriteHeader(int(code.Load()))
			return
		}
		io.WriteString(w, "bad")
	}))
	t.Cleanup(srv.Close)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "good") }))
	t.Cleanup(other.Close)
	hc := dataplanetest.QuickHealth()
	hc.Path = "/healthz"
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{HealthCheck: hc})
	var mu sync.Mutex
	var changes []string
	stop := f.LB.Watch(func(c dataplane.TargetChange) {
		if c.Target.Addr == dataplanetest.HostPort(srv.URL) {
			mu.Lock()
			changes = append(changes, string(c.From)+">"+string(c.To))
			mu.Unlock()
		}
	})
	defer stop()
	s := dataplanetest.Spec(dataplanetest.HostPort(srv.URL))
	f.TG.Register(s)
	if h := f.TG.Health(); len(h) != 1 || h[0].State != dataplane.StateInitial || h[0].Reason != dataplane.ReasonInitialHealthChecking {
		t.Errorf("new target: %+v, want initial", h)
	}
	dataplanetest.WaitState(t, f.TG, s.Key(), dataplane.StateHealthy)
	code.Store(500)
	h := dataplanetest.WaitState(t, f.TG, s.Key(), dataplane.StateUnhealthy)
	if h.Reason != dataplane.ReasonResponseCodeMismatch || !strings.Contains(h.Description, "500") {
		t.Errorf("unhealthy reason %q %q", h.Reason, h.Description)
	}
	if ua, _ := sawUA.Load().(string); ua != dataplane.HealthCheckUserAgent {
		t.Errorf("health check user agent %q", ua)
	}
	// Fail open: the only target is unhealthy, it still gets requests.
	if c, body := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/"); c != 200 || body != "bad" {
		t.Errorf("fail open: %d %q", c, body)
	}
	// With a healthy target present the unhealthy one gets nothing.
	o := dataplanetest.Spec(dataplanetest.HostPort(other.URL))
	f.TG.Register(o)
	dataplanetest.WaitState(t, f.TG, o.Key(), dataplane.StateHealthy)
	for i := 0; i < 6; i++ {
		if _, body := dataplanetest.Get(t, http.DefaultClient, f.LB.URL()+"/"); body != "good" {
			t.Fatalf("request %d went to the unhealthy target", i)
		}
	}
	code.Store(200)
	dataplanetest.WaitState(t, f.TG, s.Key(), dataplane.StateHealthy)
	time.Sleep(50 * time.Millisecond) // let the watcher catch up
	mu.Lock()
	got := strings.Join(changes, " ")
	mu.Unlock()
	if got != ">initial initial>healthy healthy>unhealthy unhealthy>healthy" {
		t.Errorf("transitions %q", got)
	}
}
