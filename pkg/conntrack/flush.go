package conntrack

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// Filter selects entries by their original direction, as `conntrack -D -p
// PROTO --dport PORT -d DST` does. A zero field matches anything.
type Filter struct {
	// Proto is the layer-4 protocol number (ProtoTCP, ...).
	Proto uint8
	// Port is the destination port the client sent to.
	Port uint16
	// Dst is the destination address the client sent to (before DNAT).
	Dst netip.Prefix
}

// MatchesAll says whether f selects every entry of its protocol: no port
// and no destination.
func (f Filter) MatchesAll() bool { return f.Port == 0 && !f.Dst.IsValid() }

// Match says whether e is selected by f.
func (f Filter) Match(e Entry) bool {
	if f.Proto != 0 && e.Orig.Proto != f.Proto {
		return false
	}
	if f.Port != 0 && e.Orig.Dst.Port() != f.Port {
		return false
	}
	return !f.Dst.IsValid() || f.Dst.Contains(e.Orig.Dst.Addr())
}

// String writes f as ParseFilter reads it: "proto=tcp,port=31080,dst=10.96.0.10/32".
func (f Filter) String() string {
	var parts []string
	if f.Proto != 0 {
		parts = append(parts, "proto="+strings.ToLower(ProtoName(f.Proto)))
	}
	if f.Port != 0 {
		parts = append(parts, "port="+strconv.Itoa(int(f.Port)))
	}
	if f.Dst.IsValid() {
		parts = append(parts, "dst="+f.Dst.String())
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, ",")
}

// ParseProto returns the protocol number of "tcp", "udp" or "sctp".
func ParseProto(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return ProtoTCP, nil
	case "udp":
		return ProtoUDP, nil
	case "sctp":
		return ProtoSCTP, nil
	}
	return 0, fmt.Errorf("protocol %q: want tcp, udp or sctp", s)
}

// ParseFilter reads a filter written as comma-separated key=value pairs
// (proto, port, dst: an address or a prefix), or "all".
func ParseFilter(s string) (Filter, error) {
	var f Filter
	if s == "all" {
		return f, nil
	}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return f, fmt.Errorf("filter %q: %q is not key=value (keys: proto, port, dst)", s, kv)
		}
		switch k {
		case "proto":
			p, err := ParseProto(v)
			if err != nil {
				return f, fmt.Errorf("filter %q: %w", s, err)
			}
			f.Proto = p
		case "port":
			p, err := strconv.ParseUint(v, 10, 16)
			if err != nil || p == 0 {
				return f, fmt.Errorf("filter %q: port %q is not within 1-65535", s, v)
			}
			f.Port = uint16(p)
		case "dst":
			pfx, err := ParsePrefix(v)
			if err != nil {
				return f, fmt.Errorf("filter %q: %w", s, err)
			}
			f.Dst = pfx
		default:
			return f, fmt.Errorf("filter %q: unknown key %q (keys: proto, port, dst)", s, k)
		}
	}
	return f, nil
}

// ParsePrefix reads an IPv4 address (a /32) or prefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		if !a.Is4() {
			return netip.Prefix{}, fmt.Errorf("destination %s: only IPv4 is supported", s)
		}
		return netip.PrefixFrom(a, 32), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("destination %q is not an IPv4 address or prefix (10.96.0.10, 10.96.0.0/12)", s)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("destination %s: only IPv4 is supported", s)
	}
	return p.Masked(), nil
}

// Flushed is what one flush did.
type Flushed struct {
	// Matched is how many entries the filters selected; Deleted how many
	// of them this flush deleted (the others ended on their own meanwhile).
	Matched int `json:"matched"`
	Deleted int `json:"deleted"`
	// Entries is the table's size when it was read.
	Entries int `json:"entries"`
}

// Flush deletes the IPv4 entries of the calling thread's network namespace
// that any of filters selects, and says how many. An empty filters list
// selects nothing.
func Flush(filters []Filter) (Flushed, error) {
	var out Flushed
	if len(filters) == 0 {
		return out, nil
	}
	entries, err := Dump()
	if err != nil {
		return out, fmt.Errorf("read the conntrack table: %w", err)
	}
	out.Entries = len(entries)
	d, err := openDeleter()
	if err != nil {
		return out, err
	}
	defer d.Close()
	for _, e := range entries {
		if !matchAny(filters, e) {
			continue
		}
		out.Matched++
		switch err := d.Delete(e); {
		case err == nil:
			out.Deleted++
		case errors.Is(err, syscall.ENOENT): // gone meanwhile
		default:
			return out, fmt.Errorf("delete %s %s -> %s: %w", ProtoName(e.Orig.Proto), e.Orig.Src, e.Orig.Dst, err)
		}
	}
	return out, nil
}

func matchAny(filters []Filter, e Entry) bool {
	for _, f := range filters {
		if f.Match(e) {
			return true
		}
	}
	return false
}
