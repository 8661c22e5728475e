package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/echo"
	"github.com/drillkit/drill/pkg/sample"
)

func newEchoCmd(a *app) *cobra.Command {
	var f echoFlags
	cmd := &cobra.Command{
		Use:   "echo [flags]",
		Short: "Serve HTTP naming the backend in a header (the lab workload)",
		Long:  "Serves HTTP, naming itself in a response header; the lab's workload.",
		Args:  cobra.NoArgs,
		RunE: a.body(func(cmd *cobra.Command, _ []string) int {
			return echoRun(cmd.Context(), f, a.stdout, a.stderr)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&f.listen, "listen", "127.0.0.1:18080", "address to listen on")
	fs.StringVar(&f.name, "name", "", "backend name sent in the backend header (default: $POD_NAME, else the hostname)")
	fs.StringVar(&f.header, "backend-header", echo.DefaultBackendHeader, "response header that names this backend")
	fs.DurationVar(&f.latency, "latency", 0, "latency added to every response")
	fs.StringVar(&f.shutdown, "shutdown", "graceful", "on SIGTERM: graceful (finish in-flight requests) or abrupt (reset every connection)")
	fs.DurationVar(&f.drain, "drain-timeout", 30*time.Second, "upper bound of a graceful shutdown")
	fs.StringVar(&f.terminationLog, "termination-log", "/dev/termination-log", "on SIGTERM, write when it came to this file if it exists (the container's termination message, which drill reads for the preStop duration and SIGTERM → exit)")
	fs.IntVar(&f.maxConnRequests, "max-conn-requests", 0, "close a keep-alive connection after this many requests, like a web server's keep-alive request limit (0: no limit)")
	_ = cmd.RegisterFlagCompletionFunc("shutdown", completeWords("graceful", "abrupt"))
	return cmd
}

// echoFlags are drill echo's flags.
type echoFlags struct {
	listen, name, header, shutdown string
	terminationLog                 string
	latency, drain                 time.Duration
	maxConnRequests                int
}

func echoRun(ctx context.Context, f echoFlags, stdout, stderr io.Writer) int {
	if f.name == "" {
		f.name = defaultBackendName()
	}
	listen, name, header, latency, shutdown, drain, maxConnRequests := &f.listen, &f.name, &f.header, &f.latency, &f.shutdown, &f.drain, &f.maxConnRequests
	if *shutdown != "graceful" && *shutdown != "abrupt" {
		fmt.Fprintf(stderr, "drill echo: --shutdown is %q; use graceful or abrupt\n", *shutdown)
		return 2
	}
	if *maxConnRequests < 0 {
		fmt.Fprintf(stderr, "drill echo: --max-conn-requests is %d; use 0 (no limit) or more\n", *maxConnRequests)
		return 2
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "drill echo: %v; pick a free address with --listen\n", err)
		return 1
	}
	srv := echo.New(echo.Config{Name: *name, BackendHeader: *header, Latency: *latency,
		Abrupt: *shutdown == "abrupt", DrainTimeout: *drain, MaxConnRequests: *maxConnRequests})
	fmt.Fprintf(stdout, "drill echo: %s listening on %s\n", *name, l.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "drill echo: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	writeSigterm(f.terminationLog, time.Now())
	if err := srv.Shutdown(context.Background()); err != nil {
		fmt.Fprintf(stderr, "drill echo: shutdown: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "drill echo: stopped after %d requests\n", srv.Served())
	return 0
}

func defaultBackendName() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "echo"
}

// writeSigterm states in the termination message file at path, when the
// kubelet provided one, that SIGTERM came at t.
func writeSigterm(path string, t time.Time) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return
	}
	_, _ = f.WriteString(sample.SigtermLine(t))
	_ = f.Close()
}
