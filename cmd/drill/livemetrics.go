package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/pkg/promexport"
	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/run"
)

// liveMetrics are the runs' live metrics, served (--metrics-listen),
// pushed (--remote-write) or both, from one registry.
type liveMetrics struct {
	exp  *promexport.Exporter
	srv  *promexport.Server
	push *promexport.Pusher
}

// startLiveMetrics serves and starts pushing the live metrics as f asks;
// it returns nil when f asks for neither, and an exit code when it could
// not start.
func startLiveMetrics(f runFlags, stderr io.Writer) (*liveMetrics, int) {
	if f.metricsListen == "" && f.remoteWrite == "" {
		return nil, report.ExitOK
	}
	l := &liveMetrics{exp: promexport.New()}
	if f.metricsListen != "" {
		srv, err := promexport.Listen(f.metricsListen, l.exp)
		if err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return nil, report.ExitError
		}
		l.srv = srv
		fmt.Fprintf(stderr, "drill: serving metrics at %s\n", srv.URL())
	}
	if f.remoteWrite != "" {
		p, err := promexport.NewPusher(l.exp.Gatherer(), f.remoteWrite, f.remoteWriteInterval, f.remoteWriteAllowRemote, stderr)
		if err != nil {
			l.close(context.Background(), stderr)
			fmt.Fprintf(stderr, "drill run: %v\n", err)
			return nil, report.ExitUsage
		}
		l.push = p
		p.Start()
		fmt.Fprintf(stderr, "drill: pushing metrics to %s every %s\n", p.URL(), f.remoteWriteInterval)
	}
	return l, report.ExitOK
}

// close stops pushing and serving.
func (l *liveMetrics) close(ctx context.Context, stderr io.Writer) {
	if l == nil {
		return
	}
	if l.push != nil {
		l.push.Close()
	}
	if l.srv != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.srv.Close(cctx); err != nil {
			fmt.Fprintf(stderr, "drill run: %v\n", err)
		}
	}
}

// pushStats are the pushes counted so far (zero without --remote-write).
func (l *liveMetrics) pushStats() promexport.PushStats {
	if l == nil || l.push == nil {
		return promexport.PushStats{}
	}
	return l.push.Stats()
}

// runEnded makes a final push, so that the run's last values arrive even
// when it was interrupted, and notes in its report (already written in
// runDir, unless err says it could not be) the pushes that failed since
// before.
func (l *liveMetrics) runEnded(ctx context.Context, r *report.Report, err error, runDir string, before promexport.PushStats, stderr io.Writer) {
	if l == nil || l.push == nil {
		return
	}
	_ = l.push.Push(context.WithoutCancel(ctx))
	now := l.push.Stats()
	failed := now.Failures - before.Failures
	if r == nil || failed == 0 {
		return
	}
	r.Environment.Notes = append(r.Environment.Notes, fmt.Sprintf("remote write: %d of %d pushes to %s failed (latest: %s); the endpoint lacks those samples, the report is complete",
		failed, now.Pushes-before.Pushes, l.push.URL(), now.LastError))
	if errors.Is(err, run.ErrNoReport) {
		return
	}
	if werr := report.Write(filepath.Join(runDir, report.FileName), r); werr != nil {
		fmt.Fprintf(stderr, "drill run: %v\n", werr)
	}
}
