package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/flood"
)

// newFloodCmd is `drill flood`, the conntrack flooder the conntrackFlood
// fault runs in a pod on each target node.
func newFloodCmd(a *app) *cobra.Command {
	var f floodFlags
	cmd := &cobra.Command{
		Use:   "flood [flags]",
		Short: "Send conntrack-filling traffic (the conntrackFlood workload)",
		Long:  "Creates conntrack entries by sending from a new source port each time; the conntrackFlood fault's workload.",
		Args:  cobra.NoArgs,
		RunE: a.body(func(cmd *cobra.Command, _ []string) int {
			return floodRun(cmd.Context(), f, a.stdout, a.stderr)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&f.to, "to", "127.0.0.1", "destination address: loopback or a lab address in 198.18.0.0/15 (anything else is refused)")
	fs.StringVar(&f.proto, "proto", "udp", "udp (one datagram per new socket) or tcp (one abandoned connection attempt per new socket)")
	fs.StringVar(&f.ports, "ports", "20000-20999", "destination port range, cycled through")
	fs.IntVar(&f.rate, "rate", 1000, fmt.Sprintf("packets or attempts per second (at most %d)", flood.MaxRate))
	fs.IntVar(&f.count, "count", 0, fmt.Sprintf("stop after this many (0: rate × for; at most %d)", flood.MaxCount))
	fs.DurationVar(&f.dur, "for", 30*time.Second, fmt.Sprintf("stop after this long (at most %s)", flood.MaxDuration))
	fs.Float64Var(&f.fill, "fill", 0, "pause while this network namespace's conntrack table is at least this full (count/max, 0-1; 0: no pause)")
	_ = cmd.RegisterFlagCompletionFunc("proto", completeWords("udp", "tcp"))
	return cmd
}

// floodFlags are drill flood's flags.
type floodFlags struct {
	to, proto, ports string
	rate, count      int
	dur              time.Duration
	fill             float64
}

func floodRun(ctx context.Context, f floodFlags, stdout, stderr io.Writer) int {
	to, proto, ports, rate, count, dur, fill := &f.to, &f.proto, &f.ports, &f.rate, &f.count, &f.dur, &f.fill
	addr, err := netip.ParseAddr(*to)
	if err != nil {
		fmt.Fprintf(stderr, "drill flood: --to %q is not an IP address\n", *to)
		return 2
	}
	first, n, err := portRange(*ports)
	if err != nil {
		fmt.Fprintf(stderr, "drill flood: --ports: %v\n", err)
		return 2
	}
	cfg := flood.Config{Target: addr, Proto: *proto, FirstPort: first, Ports: n, Rate: *rate, Count: *count,
		Duration: *dur, Fill: *fill, Report: func(s flood.Stats) { fmt.Fprintln(stdout, "drill flood:", s) }}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "drill flood: %v\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 2
	}
	fmt.Fprintf(stdout, "drill flood: %s to %s ports %s at %d/s for %s\n", *proto, addr, *ports, *rate, *dur)
	st, err := flood.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "drill flood: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "drill flood: done:", st)
	return 0
}

// portRange parses "A-B" or "A".
func portRange(s string) (first, n int, err error) {
	lo, hi, found := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: want a port or a range like 20000-20999", s)
	}
	b := a
	if found {
		if b, err = strconv.Atoi(hi); err != nil {
			return 0, 0, fmt.Errorf("%q: want a port or a range like 20000-20999", s)
		}
	}
	if a < 1 || b > 65535 || b < a {
		return 0, 0, fmt.Errorf("%q is not a range within 1-65535", s)
	}
	return a, b - a + 1, nil
}
