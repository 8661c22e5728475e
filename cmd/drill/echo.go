package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/drillkit/drill/pkg/echo"
)

func echoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill echo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:18080", "address to listen on")
	name := fs.String("name", defaultBackendName(), "backend name sent in the backend header (default: $POD_NAME, else the hostname)")
	header := fs.String("backend-header", echo.DefaultBackendHeader, "response header that names this backend")
	latency := fs.Duration("latency", 0, "latency added to every response")
	shutdown := fs.String("shutdown", "graceful", "on SIGTERM: graceful (finish in-flight requests) or abrupt (reset every connection)")
	drain := fs.Duration("drain-timeout", 30*time.Second, "upper bound of a graceful shutdown")
	maxConnRequests := fs.Int("max-conn-requests", 0, "close a keep-alive connection after this many requests, like a web server's keep-alive request limit (0: no limit)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill echo [flags]\n\nServes HTTP, naming itself in a response header; the lab's workload.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
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
