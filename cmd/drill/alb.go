package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/lab"
)

// albCmd implements `drill lab alb`: the lab ALB (listener and ELBv2 API on
// host loopback, targets reached from the lab VPC namespace, Ingress-driven
// controller) as a long-running process. It records its addresses in
// <statedir>/alb.json, prints them as JSON on stdout once ready and runs
// until interrupted.
func albCmd(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("alb", flag.ContinueOnError)
	var lf labFlags
	lf.register(fs)
	var cfg alb.LabConfig
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "host loopback address of the ALB listener (the lab's ALB DNS name)")
	fs.StringVar(&cfg.APIListen, "api-listen", "127.0.0.1:0", "host loopback address of the ELBv2 API")
	fs.DurationVar(&cfg.RegistrationDelay, "registration-delay", ingress.DefaultRegistrationDelay, "delay between an endpoint or node change and the target (de)registration")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", dataplane.DefaultConnectTimeout, "target connect timeout (504 after it)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", dataplane.DefaultIdleTimeout, "idle timeout (504 when a target sends nothing for that long)")
	fs.StringVar(&cfg.AccessLog, "access-log", "", "JSON-lines request log (default <statedir>/logs/alb-access.jsonl)")
	if code, ok := parseLabFlags(fs, args); !ok {
		return code
	}
	l, err := lab.OpenIn(lf.stateRoot, lf.name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab alb: %v\n", err)
		return 1
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := alb.StartLab(ctx, l, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "drill lab alb: %v\n", err)
		return 1
	}
	defer a.Close()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(a.Endpoints())
	// The ALB outlives ctx (see alb.StartLab): stop it on a signal.
	stop := context.AfterFunc(ctx, func() { a.Close() })
	defer stop()
	if err := a.Wait(); err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "drill lab alb: %v\n", err)
		return 1
	}
	return 0
}
