package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/scenario"
)

// hostConntrackMaxPath is the global conntrack table limit. It is
// read-only inside a network namespace, so the lab's nodes all share the
// host's value.
const hostConntrackMaxPath = "/proc/sys/net/netfilter/nf_conntrack_max"

// HostConntrackMax reads the kernel's global nf_conntrack_max (shared by
// every network namespace).
func HostConntrackMax() (int, error) { return hostConntrackMax() }

func hostConntrackMax() (int, error) {
	b, err := os.ReadFile(hostConntrackMaxPath)
	if err != nil {
		return 0, fmt.Errorf("read nf_conntrack_max: %w", err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse nf_conntrack_max %q: %w", b, err)
	}
	return v, nil
}

// setHostConntrackMax writes the host's global value. Only called when the
// user opted in (Config.HostConntrackMax), and undone by Down.
func setHostConntrackMax(v int) error {
	if err := os.WriteFile(hostConntrackMaxPath, []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
		return fmt.Errorf("set host nf_conntrack_max=%d: %w", v, err)
	}
	return nil
}

// ConntrackTimeouts are the conntrack timeouts a lab writes into each
// node's network namespace, where they are per namespace (the host's own
// stay as they are). Zero leaves a timeout as kube-proxy and the kernel set
// it.
type ConntrackTimeouts = scenario.ConntrackTimeouts

// conntrackSysctl is one timeout and the file under /proc/sys/net/netfilter
// that holds it.
type conntrackSysctl struct {
	file  string
	value time.Duration
}

func sysctls(c ConntrackTimeouts) []conntrackSysctl {
	return []conntrackSysctl{
		{"nf_conntrack_tcp_timeout_established", c.TCPEstablished},
		{"nf_conntrack_tcp_timeout_time_wait", c.TCPTimeWait},
		{"nf_conntrack_tcp_timeout_close_wait", c.TCPCloseWait},
		{"nf_conntrack_udp_timeout", c.UDP},
	}
}

// TimeoutsString lists the set timeouts, e.g. "tcp_timeout_time_wait=30s".
func TimeoutsString(c ConntrackTimeouts) string {
	var out []string
	for _, s := range sysctls(c) {
		if s.value > 0 {
			out = append(out, strings.TrimPrefix(s.file, "nf_conntrack_")+"="+s.value.String())
		}
	}
	return strings.Join(out, " ")
}

func validateTimeouts(c ConntrackTimeouts) error {
	var errs []error
	for _, s := range sysctls(c) {
		if s.value < 0 || s.value%time.Second != 0 || s.value > scenario.MaxConntrackTimeout {
			errs = append(errs, fmt.Errorf("conntrack timeout %s=%s: use whole seconds up to %s, or 0 to leave it", s.file, s.value, scenario.MaxConntrackTimeout))
		}
	}
	return errors.Join(errs...)
}

// kubeProxyFlags are kube-proxy's flags for the timeouts it sets itself at
// start (established and close_wait by default), so that it sets these
// instead.
func kubeProxyFlags(c ConntrackTimeouts) []string {
	var out []string
	if c.TCPEstablished > 0 {
		out = append(out, "--conntrack-tcp-timeout-established", c.TCPEstablished.String())
	}
	if c.TCPCloseWait > 0 {
		out = append(out, "--conntrack-tcp-timeout-close-wait", c.TCPCloseWait.String())
	}
	if c.UDP > 0 {
		out = append(out, "--conntrack-udp-timeout", c.UDP.String())
	}
	return out
}

// setConntrackTimeouts writes the set timeouts in the network namespace at
// path and reads them back.
func setConntrackTimeouts(path string, c ConntrackTimeouts) error {
	return netns.Do(path, func() error {
		for _, s := range sysctls(c) {
			if s.value <= 0 {
				continue
			}
			f := filepath.Join("/proc/sys/net/netfilter", s.file)
			v := strconv.FormatInt(int64(s.value/time.Second), 10)
			if err := os.WriteFile(f, []byte(v+"\n"), 0o644); err != nil {
				return fmt.Errorf("set %s=%s: %w", s.file, v, err)
			}
			got, err := os.ReadFile(f)
			if err != nil || strings.TrimSpace(string(got)) != v {
				return fmt.Errorf("set %s=%s: reads back %q (%v)", s.file, v, strings.TrimSpace(string(got)), err)
			}
		}
		return nil
	})
}

// readConntrackTimeouts reads the timeouts of the network namespace at path.
func readConntrackTimeouts(path string) (ConntrackTimeouts, error) {
	var c ConntrackTimeouts
	vals := []*time.Duration{&c.TCPEstablished, &c.TCPTimeWait, &c.TCPCloseWait, &c.UDP}
	err := netns.Do(path, func() error {
		for i, s := range sysctls(c) {
			b, err := os.ReadFile(filepath.Join("/proc/sys/net/netfilter", s.file))
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				return fmt.Errorf("parse %s %q: %w", s.file, b, err)
			}
			*vals[i] = time.Duration(n) * time.Second
		}
		return nil
	})
	return c, err
}
