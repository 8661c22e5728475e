package load

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// server is a loopback HTTP server that counts what it receives.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	paths  map[string]int
	bodies map[string]int
	hdrs   map[string]int
	protos map[int]int
	conns  atomic.Int64
}

func newServer(t *testing.T, start func(*httptest.Server)) *server {
	t.Helper()
	s := &server{paths: map[string]int{}, bodies: map[string]int{}, hdrs: map[string]int{}, protos: map[int]int{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.paths[r.URL.Path]++
		s.bodies[string(body)]++
		s.hdrs[r.Header.Get("X-Test")]++
		s.protos[r.ProtoMajor]++
		s.mu.Unlock()
		w.Header().Set("X-Backend", "pod-"+r.URL.Path[1:])
		io.WriteString(w, "ok")
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if start == nil {
		s.Start()
	} else {
		start(s.Server)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *server) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.paths {
		n += c
	}
	return n
}

func constant(rate int, d time.Duration) []Phase {
	return []Phase{{Duration: d, From: perSec(rate), To: perSec(rate)}}
}

func collect(t *testing.T, ctx context.Context, cfg Config) ([]*vegeta.Result, error) {
	t.Helper()
	var rs []*vegeta.Result
	err := Run(ctx, cfg, func(r *vegeta.Result) { rs = append(rs, r) })
	return rs, err
}

func TestRunCount(t *testing.T) {
	s := newServer(t, nil)
	cfg := Config{
		Phases: []Phase{
			{Duration: time.Second, From: perSec(100), To: perSec(100)},
			{Duration: time.Second, From: perSec(100), To: perSec(200)},
		},
		KeepAlive: true,
		Requests:  []Request{{URL: s.URL + "/a"}},
	}
	rs, err := collect(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := NewPhasePacer(cfg.Phases).Total() // 100 + 150
	if want != 250 {
		t.Fatalf("pacer total %d, want 250", want)
	}
	// The pacer never sends more than due. A busy machine falls behind and
	// the run ends with the phases, so it may send less: be generous.
	if got := uint64(len(rs)); got > want || got < want*6/10 {
		t.Errorf("%d results, want %d (at least %d)", got, want, want*6/10)
	}
	if got := s.total(); got != len(rs) {
		t.Errorf("server saw %d requests, results %d", got, len(rs))
	}
	for _, r := range rs {
		if r.Error != "" || r.Code != 200 {
			t.Fatalf("result %d: code %d error %q", r.Seq, r.Code, r.Error)
		}
		if r.Attack != "GET "+s.URL+"/a" {
			t.Fatalf("result named %q", r.Attack)
		}
	}
}

func TestRunRequests(t *testing.T) {
	s := newServer(t, nil)
	cfg := Config{
		Phases:    constant(60, time.Second),
		KeepAlive: true,
		Headers:   http.Header{"X-Test": {"global"}},
		Requests: []Request{
			{Name: "one", URL: s.URL + "/one", Weight: 1},
			{Name: "two", Method: "POST", URL: s.URL + "/two", Weight: 2, Body: []byte("payload"), Header: http.Header{"X-Test": {"own"}}},
			{Name: "three", URL: s.URL + "/three", Weight: 3},
		},
	}
	rs, err := collect(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Whatever the number of hits, they are a prefix of the mix's sequence.
	m, want := NewMix(cfg), map[string]int{}
	tr := m.Targeter()
	for range rs {
		var tgt vegeta.Target
		tr(&tgt)
		name, _, _ := m.Name(&vegeta.Result{Method: tgt.Method, URL: tgt.URL})
		want[name]++
	}
	got := map[string]int{}
	for _, r := range rs {
		got[r.Attack]++
		if b := r.Headers.Get("X-Backend"); b != "pod-"+r.Attack {
			t.Errorf("%s: backend header %q", r.Attack, b)
		}
	}
	for _, name := range []string{"one", "two", "three"} {
		if got[name] != want[name] {
			t.Errorf("%s: %d results, want %d", name, got[name], want[name])
		}
	}
	if len(rs) >= 54 && (got["one"] < 9 || got["three"] < 27) {
		t.Errorf("weights not followed: %v", got)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paths["/two"] != got["two"] || s.bodies["payload"] != got["two"] || s.hdrs["own"] != got["two"] {
		t.Errorf("server saw /two %d times, body %d, own header %d; want %d", s.paths["/two"], s.bodies["payload"], s.hdrs["own"], got["two"])
	}
	if s.hdrs["global"] != got["one"]+got["three"] {
		t.Errorf("server saw the global header %d times, want %d", s.hdrs["global"], got["one"]+got["three"])
	}
}

func TestRunKeepAlive(t *testing.T) {
	for _, keepAlive := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[keepAlive], func(t *testing.T) {
			s := newServer(t, nil)
			cfg := Config{
				Phases:    constant(50, time.Second),
				Workers:   2,
				KeepAlive: keepAlive,
				Requests:  []Request{{URL: s.URL + "/k"}},
			}
			rs, err := collect(t, context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			conns := s.conns.Load()
			if !keepAlive && conns != int64(len(rs)) {
				t.Errorf("keep-alive off: %d connections for %d requests, want one each", conns, len(rs))
			}
			if keepAlive && conns > int64(len(rs))/4 {
				t.Errorf("keep-alive on: %d connections for %d requests", conns, len(rs))
			}
		})
	}
}

func TestRunHTTP2(t *testing.T) {
	tests := []struct {
		name  string
		start func(*httptest.Server)
		cfg   Config
	}{
		{
			name: "TLS",
			start: func(s *httptest.Server) {
				s.EnableHTTP2 = true
				s.StartTLS()
			},
			cfg: Config{HTTP2: true, InsecureSkipVerify: true},
		},
		{
			name: "h2c",
			start: func(s *httptest.Server) {
				s.Config.Protocols = new(http.Protocols)
				s.Config.Protocols.SetHTTP1(true)
				s.Config.Protocols.SetUnencryptedHTTP2(true)
				s.Start()
			},
			cfg: Config{H2C: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.start)
			cfg := tt.cfg
			cfg.Phases = constant(20, time.Second)
			cfg.KeepAlive = true
			cfg.Requests = []Request{{URL: s.URL + "/h2"}}
			rs, err := collect(t, context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Code != 200 {
					t.Fatalf("code %d error %q", r.Code, r.Error)
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.protos[2] != len(rs) || len(rs) == 0 {
				t.Errorf("protocols seen %v for %d requests, want all HTTP/2", s.protos, len(rs))
			}
		})
	}
}

// testNet is TEST-NET-1 (RFC 5737): never routed, refused before any dial.
var testNet = netip.MustParsePrefix("192.0.2.0/24")

func TestRunRefusesTarget(t *testing.T) {
	var asked []netip.Addr
	cfg := Config{
		Phases:   constant(10, time.Second),
		Requests: []Request{{URL: "http://192.0.2.1/"}, {Name: "ok", URL: "http://127.0.0.1:1/"}},
		Allow: func(a netip.Addr) error {
			asked = append(asked, a)
			return Loopback(a)
		},
	}
	called := false
	err := Run(context.Background(), cfg, func(*vegeta.Result) { called = true })
	var na *NotAllowedError
	if !errors.As(err, &na) || na.Addr != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("Run error %v, want a NotAllowedError for 192.0.2.1", err)
	}
	if called {
		t.Error("results were produced for a refused target")
	}
	if len(asked) != 2 {
		t.Errorf("guard asked about %v, want both targets", asked)
	}
}

// TestDialGuard follows a redirect to TEST-NET: the check before the run
// cannot see it, the dial guard refuses it before connecting.
func TestDialGuard(t *testing.T) {
	s := httptest.NewServer(http.RedirectHandler("http://192.0.2.7:8080/elsewhere", http.StatusFound))
	defer s.Close()
	var (
		mu      sync.Mutex
		refused []netip.Addr
	)
	cfg := Config{
		Phases:   constant(5, time.Second),
		Timeout:  20 * time.Second,
		Requests: []Request{{URL: s.URL + "/"}},
		Allow: func(a netip.Addr) error {
			if testNet.Contains(a) {
				mu.Lock()
				defer mu.Unlock()
				refused = append(refused, a)
				return errors.New("TEST-NET")
			}
			return Loopback(a)
		},
	}
	start := time.Now()
	rs, err := collect(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("no results")
	}
	for _, r := range rs {
		if r.Code != 0 || !strings.Contains(r.Error, "destination 192.0.2.7 not allowed: TEST-NET") {
			t.Errorf("result code %d error %q, want the guard's refusal", r.Code, r.Error)
		}
	}
	if len(refused) != len(rs) {
		t.Errorf("guard refused %d dials for %d results", len(refused), len(rs))
	}
	// A dial that had left would hang until the timeout: TEST-NET is not routed.
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("run took %s: the refused dial was attempted", d)
	}

	// The same guard on a client directly.
	_, err = NewClient(cfg).Get("http://192.0.2.9/")
	var na *NotAllowedError
	if !errors.As(err, &na) || na.Addr != netip.MustParseAddr("192.0.2.9") {
		t.Errorf("client error %v, want a NotAllowedError", err)
	}
}

func TestAttackSent(t *testing.T) {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	defer s.Close()
	a, err := NewAttack(Config{Phases: constant(50, time.Second), KeepAlive: true, Requests: []Request{{URL: s.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	done := make(chan error)
	go func() { done <- a.Run(context.Background(), func(*vegeta.Result) { got++ }) }()
	// The server holds every request: they are sent but none has returned.
	deadline := time.Now().Add(10 * time.Second)
	for a.Sent() < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.Sent() < 10 {
		t.Errorf("Sent() = %d while the server holds the requests", a.Sent())
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if total := a.Pacer().Total(); a.Sent() != uint64(got) || uint64(got) > total || uint64(got) < total*6/10 {
		t.Errorf("Sent() = %d, results %d, scheduled %d", a.Sent(), got, a.Pacer().Total())
	}
}

func TestMaxWorkersBoundInFlight(t *testing.T) {
	release := make(chan struct{})
	var inFlight, peak atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
	}))
	defer s.Close()
	a, err := NewAttack(Config{Phases: constant(200, 500*time.Millisecond), Workers: 2, MaxWorkers: 5, KeepAlive: true, Requests: []Request{{URL: s.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- a.Run(context.Background(), nil) }()
	time.Sleep(700 * time.Millisecond) // the phases end while every worker waits
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The tick vegeta was waiting to hand out when the phases ended goes to
	// the first worker freed: at most one more request.
	if peak.Load() != 5 || a.Sent() < 5 || a.Sent() > 6 {
		t.Errorf("peak in flight %d, sent %d; want 5 (MaxWorkers) and 5 or 6", peak.Load(), a.Sent())
	}
}

func TestRunCancel(t *testing.T) {
	s := newServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{Phases: constant(100, time.Minute), KeepAlive: true, Requests: []Request{{URL: s.URL + "/c"}}}
	n := 0
	err := Run(ctx, cfg, func(*vegeta.Result) {
		if n++; n == 20 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error %v, want context.Canceled", err)
	}
	if n < 20 || n > 200 {
		t.Errorf("%d results after cancelling at 20", n)
	}
}

func TestResultsWriter(t *testing.T) {
	s := newServer(t, nil)
	path := t.TempDir() + "/results.bin"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewResultsWriter(f)
	cfg := Config{Phases: constant(50, time.Second), KeepAlive: true, Requests: []Request{{Name: "r", URL: s.URL + "/w"}}}
	var sent []*vegeta.Result
	if err := Run(context.Background(), cfg, func(r *vegeta.Result) {
		sent = append(sent, r)
		if err := w.Write(r); err != nil {
			t.Error(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := vegeta.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var r vegeta.Result
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			if i != len(sent) {
				t.Errorf("decoded %d results, wrote %d", i, len(sent))
			}
			break
		}
		if err != nil {
			t.Fatalf("result %d: %v", i, err)
		}
		if !r.Equal(*sent[i]) {
			t.Fatalf("result %d decoded as %+v, want %+v", i, r, *sent[i])
		}
		if r.Attack != "r" || r.Headers.Get("X-Backend") != "pod-w" {
			t.Errorf("result %d: attack %q backend %q", i, r.Attack, r.Headers.Get("X-Backend"))
		}
	}
	// vegeta's auto-detection (used by `vegeta report`) recognises the file.
	if vegeta.DecoderFor(bytes.NewReader(data)) == nil {
		t.Error("vegeta.DecoderFor does not recognise the file")
	}
}

func TestResultsWriterFullDisk(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer f.Close()
	w := NewResultsWriter(f)
	r := &vegeta.Result{Code: 200, Body: bytes.Repeat([]byte("x"), 1024), Timestamp: time.Now()}
	var werr error
	for i := 0; i < 1000 && werr == nil; i++ {
		werr = w.Write(r)
	}
	cerr := w.Close()
	if !errors.Is(cerr, syscall.ENOSPC) {
		t.Errorf("Close error %v, want ENOSPC", cerr)
	}
	if werr != nil && !errors.Is(werr, syscall.ENOSPC) {
		t.Errorf("Write error %v, want ENOSPC", werr)
	}
	if err := w.Write(r); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Write after failure returned %v, want the first error", err)
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Phases: constant(1, time.Second), Requests: []Request{{URL: "http://127.0.0.1/"}}}
	tests := []struct {
		name  string
		edit  func(*Config)
		wants []string
	}{
		{"valid", func(*Config) {}, nil},
		{"nothing", func(c *Config) { *c = Config{} }, []string{"no phases", "no requests"}},
		{"bad phase", func(c *Config) {
			c.Phases = []Phase{{Duration: 0, From: vegeta.Rate{Freq: -1, Per: time.Second}, To: perSec(1)}}
		}, []string{"phase 1: duration", "phase 1: from rate"}},
		{"unlimited needs max workers", func(c *Config) { c.Phases = []Phase{{Duration: time.Second}} }, []string{"needs max workers"}},
		{"unlimited not alone", func(c *Config) {
			c.Phases = append(c.Phases, Phase{Duration: time.Second})
			c.MaxWorkers = 4
		}, []string{"phase 2: a rate of 0"}},
		{"requests", func(c *Config) {
			c.Requests = []Request{{Name: "x", URL: "ftp://h/"}, {Name: "x", URL: "http:///p", Weight: -1}}
		}, []string{`"x": URL "ftp://h/"`, "already used", "weight -1", "has no host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
