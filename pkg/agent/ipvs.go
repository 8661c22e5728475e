package agent

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// maxDumpEntries bounds the conntrack table size up to which the emulated
// IPVS connection counts are read (a dump costs about 2.6 µs per entry).
const maxDumpEntries = 100000

// On kernels without ip_vs the lab emulates kube-proxy's IPVS mode in
// nftables: its virtual servers live in the table EmulatedIPVSTable (family
// ip), and status and reports name the mode EmulatedIPVSMode.
const (
	EmulatedIPVSTable = "drill-ipvs"
	EmulatedIPVSMode  = "ipvs (emulated: kernel has no ip_vs)"
)

// collectIPVS reads the kernel's IPVS table from procNet/ip_vs; on a kernel
// without ip_vs it reads the lab's emulation table when present.
func collectIPVS(ctx context.Context, procNet string, run runFunc) IPVS {
	b, err := os.ReadFile(procNet + "/ip_vs")
	if err == nil {
		v, perr := ParseProcIPVS(string(b))
		if perr != nil {
			return IPVS{Part: unavailable(perr.Error())}
		}
		return v
	}
	reason := "kernel has no ip_vs"
	if !errors.Is(err, fs.ErrNotExist) {
		reason = "read " + procNet + "/ip_vs: " + err.Error()
	}
	out, nerr := run(ctx, "nft", "list", "table", "ip", EmulatedIPVSTable)
	if nerr != nil {
		return IPVS{Part: unavailable(reason)}
	}
	v := ParseEmulatedIPVS(out)
	v.Reason = reason
	if n, err := readInt(filepath.Join(filepath.Dir(procNet), "sys", "net", "netfilter", "nf_conntrack_count")); err == nil && n > maxDumpEntries {
		v.ConnectionsReason = fmt.Sprintf("the emulation keeps no connection counts and the conntrack table (%d entries) is too large to read every sample", n)
		return v
	}
	conns, err := natConnections()
	if err != nil {
		v.ConnectionsReason = "the emulation keeps no connection counts and the conntrack table could not be read: " + err.Error()
		return v
	}
	countConnections(&v, conns)
	v.ConnectionsReason = ""
	v.ConnectionsSource = "conntrack entries destination-NATed to each real server (established TCP: active; others: inactive)"
	return v
}

// ParseProcIPVS parses /proc/net/ip_vs (addresses in hex, as the kernel
// prints them).
func ParseProcIPVS(s string) (IPVS, error) {
	v := IPVS{Part: Part{Available: true}, Source: "/proc/net/ip_vs"}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) == 0, strings.HasPrefix(line, "IP Virtual Server"), strings.HasPrefix(line, "Prot "), strings.HasPrefix(strings.TrimSpace(line), "-> RemoteAddress"):
		case f[0] == "->":
			if len(v.Virtual) == 0 || len(f) < 6 {
				return IPVS{}, fmt.Errorf("parse /proc/net/ip_vs: unexpected line %q", line)
			}
			addr, err := hexAddrPort(f[1])
			if err != nil {
				return IPVS{}, err
			}
			w, err1 := strconv.Atoi(f[3])
			act, err2 := strconv.ParseInt(f[4], 10, 64)
			inact, err3 := strconv.ParseInt(f[5], 10, 64)
			if err := errors.Join(err1, err2, err3); err != nil {
				return IPVS{}, fmt.Errorf("parse /proc/net/ip_vs line %q: %w", line, err)
			}
			vs := &v.Virtual[len(v.Virtual)-1]
			vs.Real = append(vs.Real, RealServer{Address: addr, Weight: w, ActiveConn: act, InactiveConn: inact})
		default:
			if len(f) < 3 {
				return IPVS{}, fmt.Errorf("parse /proc/net/ip_vs: unexpected line %q", line)
			}
			vs := VirtualServer{Protocol: f[0], Scheduler: f[2], Real: []RealServer{}}
			if f[0] == "FWM" {
				vs.Address = "fwmark:" + f[1]
			} else {
				addr, err := hexAddrPort(f[1])
				if err != nil {
					return IPVS{}, err
				}
				vs.Address = addr
			}
			v.Virtual = append(v.Virtual, vs)
		}
	}
	return v, nil
}

// hexAddrPort turns "0A600001:0050" (or an IPv6 [hex]:port) into ip:port.
func hexAddrPort(s string) (string, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return "", fmt.Errorf("parse IPVS address %q", s)
	}
	h := strings.Trim(strings.ReplaceAll(s[:i], ":", ""), "[]")
	ab, err := hex.DecodeString(h)
	if err != nil {
		return "", fmt.Errorf("parse IPVS address %q: %w", s, err)
	}
	port, err := strconv.ParseUint(s[i+1:], 16, 16)
	if err != nil {
		return "", fmt.Errorf("parse IPVS port %q: %w", s, err)
	}
	a, ok := netip.AddrFromSlice(ab)
	if !ok {
		return "", fmt.Errorf("parse IPVS address %q", s)
	}
	return netip.AddrPortFrom(a, uint16(port)).String(), nil
}

var (
	emuService = regexp.MustCompile(`^(?:ip daddr (\S+)|fib daddr type local) (\w+) dport (\d+) goto (?:svc|ext)-(\w+) comment "([^"]*)"`)
	emuBackend = regexp.MustCompile(`dnat ip to numgen inc mod \d+ map \{ ([^}]*) \} comment "([^"]*)"`)
	emuElem    = regexp.MustCompile(`^\d+ : (\S+) \. (\d+)$`)
)

// ParseEmulatedIPVS reads the virtual and real servers of the lab's IPVS
// emulation from `nft list table ip drill-ipvs`: one virtual server per
// cluster IP and per NodePort (address 0.0.0.0:<port>, any local address),
// round robin, weight 1 per real server. Services are named as kube-proxy
// names them (namespace/service, plus :port for a named port). The emulation keeps no
// per-server connection counts; they are -1.
func ParseEmulatedIPVS(table string) IPVS {
	v := IPVS{Part: Part{Available: true}, Emulated: true, Source: EmulatedIPVSMode,
		ConnectionsReason: "the emulation keeps no per-server connection counts (see the conntrack table)"}
	backends := map[string][]RealServer{} // service name → real servers
	type vip struct{ name, proto, addr string }
	var vips []vip
	sc := bufio.NewScanner(strings.NewReader(table))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := emuService.FindStringSubmatch(line); m != nil {
			ip := m[1]
			if ip == "" {
				ip = "0.0.0.0"
			}
			vips = append(vips, vip{name: strings.TrimSuffix(m[5], ":"), proto: strings.ToUpper(m[2]), addr: ip + ":" + m[3]})
			continue
		}
		if m := emuBackend.FindStringSubmatch(line); m != nil {
			var rs []RealServer
			for _, e := range strings.Split(m[1], ", ") {
				if em := emuElem.FindStringSubmatch(strings.TrimSpace(e)); em != nil {
					rs = append(rs, RealServer{Address: em[1] + ":" + em[2], Weight: 1, ActiveConn: -1, InactiveConn: -1})
				}
			}
			backends[strings.TrimSuffix(m[2], ":")] = rs
		}
	}
	for _, x := range vips {
		rs := slices.Clone(backends[x.name]) // each virtual server counts its own connections
		if rs == nil {
			rs = []RealServer{}
		}
		v.Virtual = append(v.Virtual, VirtualServer{Service: x.name, Protocol: x.proto, Address: x.addr, Scheduler: "rr", Real: rs})
	}
	sort.SliceStable(v.Virtual, func(i, j int) bool { return v.Virtual[i].Service < v.Virtual[j].Service })
	return v
}
