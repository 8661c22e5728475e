package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/alb"
	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/ingress"
	"github.com/drillkit/drill/pkg/lab"
)

// newLabALBCmd is `drill lab alb`: the lab ALB (listener and ELBv2 API on
// host loopback, targets reached from the lab VPC namespace, Ingress-driven
// controller) as a long-running process. It records its addresses in
// <statedir>/alb.json, prints them as JSON on stdout once ready and runs
// until interrupted.
func newLabALBCmd(a *app) *cobra.Command {
	var lf labFlags
	var cfg alb.LabConfig
	cmd := labLeaf(a, "alb", "Run the lab ALB in the foreground",
		`Runs the lab ALB in the foreground: listener and ELBv2 API on loopback; prints its endpoints
as JSON. Not while a drill run uses the same lab: that run starts its own.`,
		func(ctx context.Context) int { return albRun(ctx, a, lf, cfg) })
	lf.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "host loopback address of the ALB listener (the lab's ALB DNS name)")
	fs.StringVar(&cfg.APIListen, "api-listen", "127.0.0.1:0", "host loopback address of the ELBv2 API")
	fs.DurationVar(&cfg.RegistrationDelay, "registration-delay", ingress.DefaultRegistrationDelay, "delay between an endpoint or node change and the target (de)registration")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", dataplane.DefaultConnectTimeout, "target connect timeout (504 after it)")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", dataplane.DefaultIdleTimeout, "idle timeout (504 when a target sends nothing for that long)")
	fs.StringVar(&cfg.AccessLog, "access-log", "", "JSON-lines request log (default <statedir>/logs/alb-access.jsonl)")
	return cmd
}

func albRun(ctx context.Context, a *app, lf labFlags, cfg alb.LabConfig) int {
	l, err := lab.OpenIn(lf.stateRoot, lf.name)
	if err != nil {
		fmt.Fprintf(a.stderr, "drill lab alb: %v\n", err)
		return 1
	}
	cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, nil))
	al, err := alb.StartLab(ctx, l, cfg)
	if err != nil {
		fmt.Fprintf(a.stderr, "drill lab alb: %v\n", err)
		return 1
	}
	defer al.Close()
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(al.Endpoints())
	// The ALB outlives ctx (see alb.StartLab): stop it on a signal.
	stop := context.AfterFunc(ctx, func() { al.Close() })
	defer stop()
	if err := al.Wait(); err != nil && ctx.Err() == nil {
		fmt.Fprintf(a.stderr, "drill lab alb: %v\n", err)
		return 1
	}
	return 0
}
