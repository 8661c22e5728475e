package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/drillkit/drill/pkg/netns"
)

// RelayConfig configures a loopback relay: a TCP listener in the host
// network namespace whose connections are forwarded to an address inside a
// lab network namespace.
type RelayConfig struct {
	// Listen is the host loopback address, e.g. 127.0.0.1:0 (any free port).
	Listen string
	// AddrFile, when set, receives the actual listen address once listening.
	AddrFile string
	// Netns is the lab network namespace to dial from.
	Netns string
	// Target is the address dialled inside Netns, e.g. 198.18.0.2:6443.
	Target string
}

// RunRelay serves the relay until ctx ends. Only loopback listen addresses
// are accepted: the relay is the one thing a lab adds to the host network
// namespace.
func RunRelay(ctx context.Context, cfg RelayConfig, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("relay listen address %q: %w", cfg.Listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("relay listen address %q: only loopback addresses are allowed", cfg.Listen)
	}
	if cfg.Netns == "" || cfg.Target == "" {
		return errors.New("relay needs a netns and a target address")
	}
	nsPath := filepath.Join(netnsDir, cfg.Netns)
	if _, err := os.Stat(nsPath); err != nil {
		return fmt.Errorf("relay netns: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("relay listen: %w", err)
	}
	defer ln.Close()
	if cfg.AddrFile != "" {
		if err := os.WriteFile(cfg.AddrFile, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			return fmt.Errorf("relay address file: %w", err)
		}
	}
	log.Info("relay listening", "listen", ln.Addr().String(), "netns", cfg.Netns, "target", cfg.Target)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("relay accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			up, err := dialRelayTarget(ctx, nsPath, cfg.Target)
			if err != nil {
				log.Warn("relay dial", "target", cfg.Target, "err", err)
				return
			}
			defer up.Close()
			stop := context.AfterFunc(ctx, func() {
				c.Close()
				up.Close()
			})
			defer stop()
			pipe(c, up)
		}()
	}
}

// dialRelayTarget dials addr from inside the network namespace at nsPath.
func dialRelayTarget(ctx context.Context, nsPath, addr string) (net.Conn, error) {
	return netns.Dial(ctx, nsPath, &net.Dialer{Timeout: 10 * time.Second}, "tcp", addr)
}

// pipe copies both ways until either side is done.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
}
