// Package dataplanetest starts lab load balancers on loopback for tests and
// waits for what they do.
package dataplanetest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
)

// QuickHealth checks every 100ms and needs two results either way.
func QuickHealth() dataplane.HealthCheck {
	return dataplane.HealthCheck{Interval: 100 * time.Millisecond, Timeout: 80 * time.Millisecond, HealthyThreshold: 2, UnhealthyThreshold: 2}
}

// Fixture is a running load balancer with one target group that a
// catch-all rule (Source "test/ingress") routes every request to.
type Fixture struct {
	LB  *dataplane.LoadBalancer
	TG  *dataplane.TargetGroup
	Log *AccessLog
}

// New starts a load balancer stopped when the test ends. Zero fields get
// test defaults: connect timeout 500ms, idle timeout 2s, target group "tg"
// with QuickHealth.
func New(t testing.TB, cfg dataplane.Config, tgc dataplane.TargetGroupConfig) Fixture {
	t.Helper()
	log := &AccessLog{}
	cfg.AccessLog = log
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 500 * time.Millisecond
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 2 * time.Second
	}
	lb, err := dataplane.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	if tgc.Name == "" {
		tgc.Name = "tg"
	}
	if tgc.HealthCheck == (dataplane.HealthCheck{}) {
		tgc.HealthCheck = QuickHealth()
	}
	tg, err := lb.CreateTargetGroup(tgc)
	if err != nil {
		t.Fatal(err)
	}
	lb.SetRules([]dataplane.Rule{{TargetGroup: tg, Source: "test/ingress"}})
	return Fixture{lb, tg, log}
}

// AccessLog collects a load balancer's access log; it is safe for
// concurrent use.
type AccessLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *AccessLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Records decodes the records written so far.
func (l *AccessLog) Records(t testing.TB) []dataplane.RequestLog {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []dataplane.RequestLog
	if err := dataplane.ReadAccessLog(bytes.NewReader(l.b.Bytes()), func(r dataplane.RequestLog) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// RecordsN waits (up to 5s) until the log has n records: a record is
// written when the handler returns, which can be just after the client got
// its response.
func (l *AccessLog) RecordsN(t testing.TB, n int) []dataplane.RequestLog {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := l.Records(t)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Spec is the target for a host:port address: ID the host, Port the port.
func Spec(addr string) dataplane.TargetSpec {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return dataplane.TargetSpec{ID: host, Port: p, Addr: addr}
}

// HostPort is the host:port of an http:// URL.
func HostPort(url string) string { return strings.TrimPrefix(url, "http://") }

// Get sends a GET and returns the status and body.
func Get(t testing.TB, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// WaitState waits (up to 10s) until the target reaches state.
func WaitState(t testing.TB, tg *dataplane.TargetGroup, key string, state dataplane.TargetState) dataplane.TargetHealth {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, h := range tg.Health() {
			if h.Target.Key() == key && h.State == state {
				return h
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("target %s never reached %s: %+v", key, state, tg.Health())
	return dataplane.TargetHealth{}
}
