package alb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/elbapi"
	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/lab"
)

// EndpointsFile is the file in a lab's state directory where a running lab
// ALB records its addresses.
const EndpointsFile = "alb.json"

// Endpoints are a lab ALB's addresses, as recorded in EndpointsFile.
type Endpoints struct {
	// URL is the listener, e.g. http://127.0.0.1:40123 (the "ALB DNS name").
	URL string `json:"url"`
	// API is the ELBv2 API endpoint for elbv2.Options.Endpoint.
	API string `json:"api"`
	// LoadBalancerARN and Name identify the load balancer in the API.
	LoadBalancerARN string `json:"loadBalancerArn"`
	Name            string `json:"name"`
	// AccessLog is the JSON-lines request log.
	AccessLog string `json:"accessLog"`
	PID       int    `json:"pid"`
}

// LabConfig configures StartLab. Zero fields get the package defaults.
type LabConfig struct {
	// Listen and APIListen are host loopback addresses; default 127.0.0.1:0.
	Listen, APIListen string
	ConnectTimeout    time.Duration
	IdleTimeout       time.Duration
	RegistrationDelay time.Duration
	// AccessLog: default <statedir>/logs/alb-access.jsonl (appended).
	AccessLog string
	// OnRequest is called with every request's log record.
	OnRequest func(dataplane.RequestLog)
	Logger    *slog.Logger
}

// LabALB is the ALB of a lab: load balancer, ELBv2 API and controller.
type LabALB struct {
	LB         *dataplane.LoadBalancer
	API        *elbapi.Server
	Controller *ingress.Controller
	endpoints  Endpoints
	stateDir   string
	cancel     context.CancelFunc
	done       chan error
	logFile    *os.File
}

// StartLab starts the ALB of a running lab in this process: the listener
// and the API on host loopback, target and health-check connections from
// the lab VPC namespace (NetnsDialer, so they leave from the VPC address),
// and the controller watching the lab's API server. It records its
// Endpoints in the lab state directory and returns once the controller has
// synced. ctx bounds the start; the ALB then runs until Close.
func StartLab(ctx context.Context, l *lab.Lab, cfg LabConfig) (*LabALB, error) {
	p := l.Plan()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dial, err := dataplane.NetnsDialer(filepath.Join("/run/netns", p.VPCNetns))
	if err != nil {
		return nil, err
	}
	cs, err := l.Client()
	if err != nil {
		return nil, err
	}
	if cfg.AccessLog == "" {
		cfg.AccessLog = filepath.Join(l.LogDir(), "alb-access.jsonl")
	}
	f, err := os.OpenFile(cfg.AccessLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("alb access log: %w", err)
	}
	// ctx bounds the start only: the ALB serves until Close, so that a run
	// interrupted by the user can still recover its faults through the API.
	start := ctx
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a := &LabALB{stateDir: p.StateDir, cancel: cancel, done: make(chan error, 1), logFile: f}
	fail := func(err error) (*LabALB, error) {
		cancel()
		f.Close()
		return nil, err
	}
	a.LB, err = dataplane.Start(ctx, dataplane.Config{
		Name: "drill-" + p.Name, Listen: cfg.Listen, Dial: dial, ConnectTimeout: cfg.ConnectTimeout, IdleTimeout: cfg.IdleTimeout,
		AccessLog: f, OnRequest: cfg.OnRequest, Logger: cfg.Logger,
		Tags: map[string]string{"elbv2.k8s.aws/cluster": p.Name},
	})
	if err != nil {
		return fail(err)
	}
	apiListen := cfg.APIListen
	if apiListen == "" {
		apiListen = "127.0.0.1:0"
	}
	a.API, err = elbapi.Serve(ctx, apiListen, a.LB)
	if err != nil {
		return fail(err)
	}
	a.Controller, err = ingress.NewController(ingress.Config{Client: cs, LoadBalancer: a.LB, ClusterName: p.Name, RegistrationDelay: cfg.RegistrationDelay, Logger: cfg.Logger})
	if err != nil {
		return fail(err)
	}
	go func() { a.done <- a.Controller.Run(ctx) }()
	select {
	case <-a.Controller.Synced():
	case err := <-a.done:
		if err == nil {
			err = ctx.Err()
		}
		return fail(fmt.Errorf("alb controller: %w", err))
	case <-start.Done():
		return fail(fmt.Errorf("alb controller: %w", start.Err()))
	case <-time.After(time.Minute):
		return fail(errors.New("alb controller: caches did not sync within a minute: is the lab API server up (`drill lab status`)?"))
	}
	a.endpoints = Endpoints{URL: a.LB.URL(), API: a.API.URL(), LoadBalancerARN: a.LB.ARN(), Name: a.LB.Name(), AccessLog: cfg.AccessLog, PID: os.Getpid()}
	if err := writeEndpoints(p.StateDir, a.endpoints); err != nil {
		return fail(err)
	}
	return a, nil
}

// URL is the ALB listener's URL (http://127.0.0.1:port).
func (a *LabALB) URL() string { return a.endpoints.URL }

// APIURL is the ELBv2 API endpoint.
func (a *LabALB) APIURL() string { return a.endpoints.API }

// Endpoints returns the recorded addresses.
func (a *LabALB) Endpoints() Endpoints { return a.endpoints }

// Wait blocks until the controller stops (ctx of StartLab ended or Close).
func (a *LabALB) Wait() error { return <-a.done }

// Close stops the controller, the API and the load balancer, and removes
// the endpoints file.
func (a *LabALB) Close() error {
	a.cancel()
	a.LB.Close()
	a.API.Close()
	a.logFile.Close()
	if cur, err := ReadEndpoints(a.stateDir); err == nil && cur.PID == os.Getpid() {
		os.Remove(filepath.Join(a.stateDir, EndpointsFile))
	}
	return nil
}

func writeEndpoints(stateDir string, e Endpoints) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(stateDir, EndpointsFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record alb endpoints: %w", err)
	}
	return os.Rename(tmp, filepath.Join(stateDir, EndpointsFile))
}

// ReadEndpoints returns the Endpoints a lab ALB recorded in stateDir (the
// lab's Plan().StateDir).
func ReadEndpoints(stateDir string) (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(filepath.Join(stateDir, EndpointsFile))
	if err != nil {
		if os.IsNotExist(err) {
			return e, fmt.Errorf("the lab has no ALB running (no %s): start it with `drill lab alb`", filepath.Join(stateDir, EndpointsFile))
		}
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s: %w", filepath.Join(stateDir, EndpointsFile), err)
	}
	return e, nil
}

var _ io.Closer = (*LabALB)(nil)
