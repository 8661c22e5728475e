package sample_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/elbapi"
	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/sample"
)

// healthLab is a lab ALB on loopback with one target group of one
// target, its ELBv2 API, and a client of that API.
type healthLab struct {
	group  *dataplane.TargetGroup
	target dataplane.TargetSpec
	api    *elbapi.Server
	groups []elbv2.TargetGroup
	client *elbv2.Client
}

func newHealthLab(t *testing.T) healthLab {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	lb, err := dataplane.Start(ctx, dataplane.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	tg, err := lb.CreateTargetGroup(dataplane.TargetGroupConfig{Name: "web", DeregistrationDelay: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	p, _ := strconv.Atoi(port)
	target := dataplane.TargetSpec{ID: host, Port: p, Addr: net.JoinHostPort(host, port)}
	tg.Register(target)
	api, err := elbapi.Serve(ctx, "127.0.0.1:0", lb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	client, err := elbv2.New(ctx, elbv2.Options{Endpoint: api.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return healthLab{group: tg, target: target, api: api, groups: []elbv2.TargetGroup{{ARN: tg.ARN(), Name: tg.Name()}}, client: client}
}

// events collects what samplers put on the timeline.
type events struct {
	mu   sync.Mutex
	list []sample.Event
}

func (e *events) add(ev sample.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.list {
		out = append(out, ev.Message)
	}
	return out
}

// TestTargetHealthKeepsChangesUntilStop: a change after the last tick (a
// target drained once the load ended) is on the timeline when Stop
// returns, which samples once more.
func TestTargetHealthKeepsChangesUntilStop(t *testing.T) {
	l := newHealthLab(t)
	h := sample.NewTargetHealth(l.client, l.groups, time.Hour)
	var got events
	h.SetEvents(got.add)
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.group.Deregister(l.target.Key())
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	msgs := got.messages()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "target "+l.target.Key()+" in web: none → ") || !strings.HasSuffix(msgs[1], "→ draining (Target.DeregistrationInProgress)") {
		t.Errorf("timeline %q, want the target appearing, then draining", msgs)
	}
}

// TestSamplersFailuresSurface: a sampler that cannot start is left out and
// says why; one whose reads fail says so when it stops.
func TestSamplersFailuresSurface(t *testing.T) {
	l := newHealthLab(t)
	var got events
	g := sample.NewGroup(
		sample.NewTargetHealth(l.client, l.groups, time.Hour),
		sample.NewNodeSampler(nil, sample.AgentConfig{}).Every(0, sample.NewDatapath()),
	)
	g.SetEvents(got.add)
	if err := g.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "node sampling: the interval 0s must be positive") {
		t.Errorf("start: %v, want the node sampler's interval refused", err)
	}
	if len(got.messages()) != 1 {
		t.Errorf("timeline %q, want the target appearing", got.messages())
	}
	l.api.Close()
	err := g.Stop()
	if err == nil || !strings.Contains(err.Error(), "target health of web: 1 of 2 reads failed") {
		t.Fatalf("stop: %v, want the target health read that failed", err)
	}
	if strings.Contains(err.Error(), "node sampling") {
		t.Errorf("stop: %v: the node sampler did not start and is not stopped", err)
	}
}
