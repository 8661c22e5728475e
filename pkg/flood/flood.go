// Package flood is drill's conntrack flooder: it sends UDP datagrams, or
// TCP connection attempts, each from a fresh source port, so that every one
// creates a conntrack entry in the network namespaces it crosses. It is
// bounded in rate, count and time, can hold the conntrack table at a target
// fill, and only sends to lab addresses (198.18.0.0/15) or loopback.
package flood

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/drillkit/drill/pkg/netguard"
)

// Limits on a flood.
const (
	MaxRate     = 100_000
	MaxCount    = 10_000_000
	MaxDuration = time.Hour
)

// DefaultConntrackDir is where the kernel shows the conntrack count and
// limit of the reader's network namespace.
const DefaultConntrackDir = "/proc/sys/net/netfilter"

// Config says what to flood, how fast and for how long.
type Config struct {
	// Target is the destination address.
	Target netip.Addr
	// Proto is "udp" (one datagram per new socket) or "tcp" (a connection
	// attempt per new socket, abandoned at once).
	Proto string
	// FirstPort and Ports are the destination ports, cycled through.
	FirstPort, Ports int
	// Rate is packets (or attempts) per second.
	Rate int
	// Count bounds the packets sent; 0 means Rate × Duration.
	Count int
	// Duration bounds the time.
	Duration time.Duration
	// Fill, when above 0, pauses sending while the conntrack table of this
	// network namespace is at least that full (count/max), so that the
	// table is held near the fill until the flood ends.
	Fill float64
	// ConntrackDir holds nf_conntrack_count and nf_conntrack_max; empty
	// means DefaultConntrackDir.
	ConntrackDir string
	// Report, if set, is called about once a second and at the end.
	Report func(Stats)
}

// Stats is the progress of a flood.
type Stats struct {
	Elapsed time.Duration
	Sent    int64
	Errors  int64
	// Count and Max are the conntrack table's count and limit, when known.
	Count, Max int
	// Paused says sending is paused at the fill target.
	Paused bool
}

// Fill is Count/Max, or 0 when unknown.
func (s Stats) Fill() float64 {
	if s.Max <= 0 {
		return 0
	}
	return float64(s.Count) / float64(s.Max)
}

func (s Stats) String() string {
	out := fmt.Sprintf("t=%s sent=%d errors=%d", s.Elapsed.Round(time.Second), s.Sent, s.Errors)
	if s.Max > 0 {
		out += fmt.Sprintf(" conntrack=%d/%d (%.1f%%)", s.Count, s.Max, 100*s.Fill())
	}
	if s.Paused {
		out += " paused at fill"
	}
	return out
}

// Allowed reports whether a flood may target addr: only loopback and the
// lab range 198.18.0.0/15.
func Allowed(addr netip.Addr) error {
	addr = addr.Unmap()
	if netguard.Local(addr) {
		return nil
	}
	return fmt.Errorf("flood target %s refused: drill floods only loopback (127.0.0.0/8, ::1) or lab addresses (%s)", addr, netguard.LabRange())
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if !c.Target.IsValid() {
		errs = append(errs, errors.New("no target address"))
	} else if err := Allowed(c.Target); err != nil {
		errs = append(errs, err)
	}
	if c.Proto != "udp" && c.Proto != "tcp" {
		errs = append(errs, fmt.Errorf("protocol %q: use udp or tcp", c.Proto))
	}
	if c.FirstPort < 1 || c.Ports < 1 || c.FirstPort+c.Ports-1 > 65535 {
		errs = append(errs, fmt.Errorf("destination ports %d+%d are outside 1-65535", c.FirstPort, c.Ports))
	}
	if c.Rate < 1 || c.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("rate %d/s is outside 1-%d", c.Rate, MaxRate))
	}
	if c.Count < 0 || c.Count > MaxCount {
		errs = append(errs, fmt.Errorf("count %d is outside 0-%d", c.Count, MaxCount))
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %s is outside (0, %s]", c.Duration, MaxDuration))
	}
	if c.Fill < 0 || c.Fill > 1 {
		errs = append(errs, fmt.Errorf("fill %g is outside 0-1", c.Fill))
	}
	return errors.Join(errs...)
}

// Run floods until the count, the duration or ctx ends it, and returns the
// final stats. It refuses targets Allowed refuses.
func Run(ctx context.Context, c Config) (Stats, error) {
	if err := c.Validate(); err != nil {
		return Stats{}, err
	}
	if c.ConntrackDir == "" {
		c.ConntrackDir = DefaultConntrackDir
	}
	limit := int64(c.Count)
	if limit == 0 {
		limit = int64(float64(c.Rate) * c.Duration.Seconds())
	}
	var st Stats
	readTable := func() error {
		n, m, err := Conntrack(c.ConntrackDir)
		if err == nil {
			st.Count, st.Max = n, m
		}
		return err
	}
	if err := readTable(); err != nil && c.Fill > 0 {
		return st, fmt.Errorf("fill needs the conntrack count: %w", err)
	}
	s := sender{proto: c.Proto, target: c.Target, first: c.FirstPort, ports: c.Ports}
	start := time.Now()
	deadline := start.Add(c.Duration)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastReport, lastRead := start, start
	paused := c.Fill > 0 && st.Fill() >= c.Fill
	var skipped int64 // packets not sent while paused: not caught up on
	for st.Sent < limit {
		select {
		case <-ctx.Done():
			st.Elapsed = time.Since(start)
			c.report(st)
			return st, nil
		case now := <-tick.C:
			if !now.Before(deadline) {
				st.Elapsed = now.Sub(start)
				c.report(st)
				return st, nil
			}
			if now.Sub(lastRead) >= 100*time.Millisecond {
				lastRead = now
				if err := readTable(); err != nil && c.Fill > 0 {
					return st, err
				}
				paused = c.Fill > 0 && st.Fill() >= c.Fill
			}
			st.Paused = paused
			due := int64(float64(c.Rate) * now.Sub(start).Seconds())
			if paused {
				skipped = max(skipped, due-st.Sent)
			}
			due = min(due-skipped, limit)
			for st.Sent < due {
				if err := s.send(); err != nil {
					st.Errors++
					if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
						break
					}
				}
				st.Sent++
			}
			if now.Sub(lastReport) >= time.Second {
				lastReport = now
				st.Elapsed = now.Sub(start)
				c.report(st)
			}
		}
	}
	_ = readTable()
	st.Elapsed = time.Since(start)
	c.report(st)
	return st, nil
}

func (c Config) report(s Stats) {
	if c.Report != nil {
		c.Report(s)
	}
}

// Conntrack reads the conntrack count and limit of the caller's network
// namespace from dir (DefaultConntrackDir).
func Conntrack(dir string) (count, max int, err error) {
	read := func(name string) (int, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return 0, fmt.Errorf("read %s: %w (is the nf_conntrack module loaded?)", name, err)
		}
		return strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if count, err = read("nf_conntrack_count"); err != nil {
		return 0, 0, err
	}
	if max, err = read("nf_conntrack_max"); err != nil {
		return 0, 0, err
	}
	return count, max, nil
}

// sender sends one packet or connection attempt per call from a new socket,
// so that the kernel picks a new source port each time.
type sender struct {
	proto  string
	target netip.Addr
	first  int
	ports  int
	next   int
}
