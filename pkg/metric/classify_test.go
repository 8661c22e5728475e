package metric

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// hitOnce sends one request with a vegeta attacker and returns its result.
func hitOnce(t *testing.T, url string, opts ...func(*vegeta.Attacker)) *vegeta.Result {
	t.Helper()
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url})
	var out *vegeta.Result
	for r := range vegeta.NewAttacker(opts...).Attack(tr, onePacer{}, 0, "t") {
		out = r
	}
	if out == nil {
		t.Fatal("no result")
	}
	return out
}

// onePacer sends a single hit.
type onePacer struct{}

func (onePacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) { return 0, hits > 0 }
func (onePacer) Rate(time.Duration) float64                              { return 0 }

// rawServer accepts connections on loopback and hands each to handle.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
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
			go handle(c)
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// readRequest reads the request head from c.
func readRequest(c net.Conn) {
	_, _ = http.ReadRequest(bufio.NewReader(c))
}

func TestClassifyRealErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) (string, []func(*vegeta.Attacker))
		want  string
	}{
		{"refused", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			return "http://" + addr + "/", nil
		}, ClassRefused},
		{"reset", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			return rawServer(t, func(c net.Conn) {
				readRequest(c)
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}), nil
		}, ClassReset},
		{"timeout", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			return rawServer(t, func(c net.Conn) {
				readRequest(c)
				time.Sleep(2 * time.Second)
				c.Close()
			}), []func(*vegeta.Attacker){vegeta.Timeout(100 * time.Millisecond)}
		}, ClassTimeout},
		{"eof", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			return rawServer(t, func(c net.Conn) {
				readRequest(c)
				c.Close()
			}), nil
		}, ClassEOF},
		{"tls", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			s := httptest.NewTLSServer(http.NotFoundHandler())
			t.Cleanup(s.Close)
			return s.URL, []func(*vegeta.Attacker){vegeta.TLSConfig(&tls.Config{})}
		}, ClassTLS},
		{"http", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusGatewayTimeout)
			}))
			t.Cleanup(s.Close)
			return s.URL, nil
		}, ClassHTTP},
		{"other", func(t *testing.T) (string, []func(*vegeta.Attacker)) {
			return rawServer(t, func(c net.Conn) {
				readRequest(c)
				c.Write([]byte("this is not HTTP\r\n\r\n"))
				c.Close()
			}), nil
		}, ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, opts := tt.setup(t)
			r := hitOnce(t, url, opts...)
			if got := Classify(r); got != tt.want {
				t.Errorf("code %d error %q classified %s, want %s", r.Code, r.Error, got, tt.want)
			}
			t.Logf("code %d error %q", r.Code, r.Error)
		})
	}
}

func TestClasses(t *testing.T) {
	want := []string{ClassRefused, ClassReset, ClassTimeout, ClassEOF, ClassTLS, ClassHTTP, ClassCancelled, ClassOther}
	if got := Classes(); !slices.Equal(got, want) {
		t.Errorf("Classes() = %v, want %v", got, want)
	}
}

func TestClassifyStrings(t *testing.T) {
	tests := []struct {
		code uint16
		err  string
		want string
	}{
		{0, `Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`, ClassRefused},
		{0, `Get "http://x/": read tcp 127.0.0.1:5->127.0.0.1:6: read: connection reset by peer`, ClassReset},
		{0, `Post "http://x/": write tcp 127.0.0.1:5->127.0.0.1:6: write: broken pipe`, ClassReset},
		{0, `Get "http://x/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, ClassTimeout},
		{0, `Get "http://x/": dial tcp 127.0.0.1:6: i/o timeout`, ClassTimeout},
		{0, `Get "http://x/": EOF`, ClassEOF},
		{0, `Get "http://x/": unexpected EOF`, ClassEOF},
		{0, `Get "http://x/timeout/tls:x509:refused": EOF`, ClassEOF},
		{0, `Get "http://x/": http: server closed idle connection`, ClassEOF},
		{0, `Get "https://x/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, ClassTLS},
		{0, `Get "https://x/": remote error: tls: handshake failure`, ClassTLS},
		{504, "504 Gateway Timeout", ClassHTTP},
		{503, "", ClassHTTP},
		{0, `Get "http://x/": net/http: HTTP/1.x transport connection broken: malformed HTTP response "x"`, ClassOther},
		{0, "", ClassOther},
	}
	for _, tt := range tests {
		t.Run(tt.want+"/"+tt.err, func(t *testing.T) {
			if got := Classify(&vegeta.Result{Code: tt.code, Error: tt.err}); got != tt.want {
				t.Errorf("Classify(%d, %q) = %s, want %s", tt.code, tt.err, got, tt.want)
			}
		})
	}
}
