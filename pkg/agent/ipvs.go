package agent

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// maxDumpEntries bounds the conntrack table size up to which the emulated
// IPVS connection counts are read (a dump through ti-mo/conntrack costs
// about 8-12 µs per entry: BenchmarkDump in docs/performance.md).
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
	out, nerr := run(ctx, "nft", "-j", "list", "table", "ip", EmulatedIPVSTable)
	if nerr != nil {
		return IPVS{Part: unavailable(reason)}
	}
	v, perr := ParseEmulatedIPVS([]byte(out))
	if perr != nil {
		return IPVS{Part: unavailable(reason + "; " + perr.Error())}
	}
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

// ParseEmulatedIPVS reads the virtual and real servers of the lab's IPVS
// emulation from `nft -j list table ip drill-ipvs`: one virtual server per
// cluster IP and per NodePort (address 0.0.0.0:<port>, any local address),
// round robin, weight 1 per real server. Services are named as kube-proxy
// names them (namespace/service, plus :port for a named port). The
// emulation keeps no per-server connection counts; they are -1.
func ParseEmulatedIPVS(b []byte) (IPVS, error) {
	var doc nftDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return IPVS{}, fmt.Errorf("parse nft -j list table ip %s: %w", EmulatedIPVSTable, err)
	}
	v := IPVS{Part: Part{Available: true}, Emulated: true, Source: EmulatedIPVSMode,
		ConnectionsReason: "the emulation keeps no per-server connection counts (see the conntrack table)"}
	backends := map[string][]RealServer{} // service name → real servers
	var vips []VirtualServer
	for _, o := range doc.Nftables {
		r := o.Rule
		if r == nil || r.Table != EmulatedIPVSTable {
			continue
		}
		stmts, err := r.statements()
		if err != nil {
			return IPVS{}, fmt.Errorf("parse nft -j list table ip %s: rule in chain %s: %w", EmulatedIPVSTable, r.Chain, err)
		}
		name := strings.TrimSuffix(r.Comment, ":")
		if vs, ok := emulatedVirtual(stmts); ok && r.Chain == "services" {
			vs.Service = name
			vips = append(vips, vs)
		}
		if rs, ok := emulatedReals(stmts); ok {
			backends[name] = rs
		}
	}
	for _, vs := range vips {
		vs.Real = slices.Clone(backends[vs.Service]) // each virtual server counts its own connections
		if vs.Real == nil {
			vs.Real = []RealServer{}
		}
		v.Virtual = append(v.Virtual, vs)
	}
	sort.SliceStable(v.Virtual, func(i, j int) bool { return v.Virtual[i].Service < v.Virtual[j].Service })
	return v, nil
}

// emulatedVirtual reads a rule of the emulation's services chain:
// `ip daddr VIP PROTO dport PORT goto svc-...` (a cluster IP) or
// `fib daddr type local PROTO dport PORT goto ext-...` (a NodePort).
func emulatedVirtual(stmts []nftStatement) (VirtualServer, bool) {
	vs := VirtualServer{Scheduler: "rr"}
	var ip, port string
	jumps := false
	for _, st := range stmts {
		switch {
		case st.Match != nil && st.Match.Op == "==":
			l, r := st.Match.Left, st.Match.Right
			switch {
			case l.Payload != nil && l.Payload.Protocol == "ip" && l.Payload.Field == "daddr":
				ip = r.literal()
			case l.Fib != nil && l.Fib.Result == "type" && slices.Equal(l.Fib.Flags, []string{"daddr"}) && r.literal() == "local":
				ip = "0.0.0.0"
			case l.Payload != nil && l.Payload.Field == "dport" && l.Payload.Protocol != "th":
				vs.Protocol, port = strings.ToUpper(l.Payload.Protocol), r.literal()
			}
		case st.Goto != nil:
			jumps = strings.HasPrefix(st.Goto.Target, "svc-") || strings.HasPrefix(st.Goto.Target, "ext-")
		}
	}
	if ip == "" || port == "" || !jumps {
		return VirtualServer{}, false
	}
	vs.Address = ip + ":" + port
	return vs, true
}

// emulatedReals reads the real servers of a rule of a svc- chain:
// `dnat ip to numgen inc mod N map { 0 : IP . PORT, ... }`.
func emulatedReals(stmts []nftStatement) ([]RealServer, bool) {
	for _, st := range stmts {
		if st.DNAT == nil || st.DNAT.Addr.Map == nil {
			continue
		}
		m := st.DNAT.Addr.Map
		if m.Key.Numgen == nil || m.Key.Numgen.Mode != "inc" {
			continue
		}
		var rs []RealServer
		for _, e := range m.Data.Set {
			if c := e.Value.Concat; len(c) == 2 && c[0].literal() != "" && c[1].Number != nil {
				rs = append(rs, RealServer{Address: c[0].literal() + ":" + c[1].literal(), Weight: 1, ActiveConn: -1, InactiveConn: -1})
			}
		}
		return rs, true
	}
	return nil, false
}
