package load

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/metric"
)

// Stopping a run against a target that never answers cancels the requests
// in flight (after StopGrace) rather than waiting for the 30s timeout, and
// delivers a result for each request sent, failed with ErrStopped. OnStart
// saw every one of them as it was sent.
func TestStopCancelsRequestsInFlight(t *testing.T) {
	for _, keepAlive := range []bool{true, false} {
		t.Run(map[bool]string{true: "keepalive", false: "conn-per-request"}[keepAlive], func(t *testing.T) {
			release := make(chan struct{})
			s := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
			defer s.Close()
			defer close(release)
			a, err := NewAttack(Config{Phases: constant(50, time.Minute), KeepAlive: keepAlive, Timeout: 30 * time.Second, Requests: []Request{{URL: s.URL}}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var started atomic.Uint64
			a.OnStart(func(time.Time) {
				if started.Add(1) == 10 {
					cancel()
				}
			})
			var results []*vegeta.Result
			if err := a.Run(ctx, func(r *vegeta.Result) { results = append(results, r) }); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			if uint64(len(results)) != a.Sent() || started.Load() != a.Sent() || a.Sent() < 10 {
				t.Fatalf("%d results, %d seen by OnStart, %d sent: want one result per request sent", len(results), started.Load(), a.Sent())
			}
			for _, r := range results {
				if !strings.Contains(r.Error, ErrStopped.Error()) || metric.Classify(r) != metric.ClassCancelled {
					t.Fatalf("result error %q (class %s): want it cancelled by the stop, not timed out", r.Error, metric.Classify(r))
				}
			}
			t.Logf("%d results, e.g. error %q", len(results), results[0].Error)
		})
	}
}
