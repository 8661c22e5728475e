package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// kubeProxyNFTable is kube-proxy's table in nftables mode (family ip).
const kubeProxyNFTable = "kube-proxy"

// collectNFTables runs `nft -j list ruleset` and counts what it shows.
func collectNFTables(ctx context.Context, run runFunc) NFTables {
	out, err := run(ctx, "nft", "-j", "list", "ruleset")
	if err != nil {
		return NFTables{Part: unavailable(err.Error())}
	}
	nft, err := ParseNFTJSON([]byte(out))
	if err != nil {
		return NFTables{Part: unavailable(err.Error())}
	}
	return nft
}

// ParseNFTJSON counts the tables, chains, rules, sets and maps of
// `nft -j list ruleset` output, and the endpoint chains of every Service in
// kube-proxy's nftables table.
func ParseNFTJSON(b []byte) (NFTables, error) {
	var doc nftDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return NFTables{}, fmt.Errorf("parse nft -j output: %w", err)
	}
	nft := NFTables{Part: Part{Available: true}, Tables: map[string]NFTable{}, Services: map[string]int{}}
	// Endpoints per service port: from the DNAT rules of kube-proxy's
	// service chains (current kube-proxy), else from its endpoint chains
	// (older kube-proxy, or session affinity).
	fromRules, fromChains := map[string]int{}, map[string]int{}
	key := func(r *nftRef, table string) string { return r.Family + " " + table }
	for _, o := range doc.Nftables {
		switch {
		case o.Table != nil:
			k := key(o.Table, o.Table.Name)
			if _, ok := nft.Tables[k]; !ok {
				nft.Tables[k] = NFTable{} // listed even without chains
			}
		case o.Chain != nil:
			k := key(o.Chain, o.Chain.Table)
			t := nft.Tables[k]
			t.Chains++
			nft.Tables[k] = t
			nft.Chains++
			if o.Chain.Table == kubeProxyNFTable {
				if svc := nftChainService(o.Chain.Name, "endpoint-"); svc != "" {
					fromChains[svc]++
				}
			}
		case o.Rule != nil:
			k := key(o.Rule, o.Rule.Table)
			t := nft.Tables[k]
			t.Rules++
			nft.Tables[k] = t
			nft.Rules++
			if o.Rule.Table == kubeProxyNFTable {
				if svc := nftChainService(o.Rule.Chain, "service-"); svc != "" {
					stmts, err := o.Rule.statements()
					if err != nil {
						return NFTables{}, fmt.Errorf("parse nft -j output: rule in chain %s: %w", o.Rule.Chain, err)
					}
					if n := ruleEndpoints(stmts); n > fromRules[svc] {
						fromRules[svc] = n
					}
				}
			}
		case o.Set != nil:
			k := key(o.Set, o.Set.Table)
			t := nft.Tables[k]
			t.Sets++
			nft.Tables[k] = t
			nft.Sets++
		case o.Map != nil:
			k := key(o.Map, o.Map.Table)
			t := nft.Tables[k]
			t.Maps++
			nft.Tables[k] = t
			nft.Maps++
		}
	}
	for svc, n := range fromChains {
		nft.Services[svc] = n
	}
	for svc, n := range fromRules {
		if n > 0 {
			nft.Services[svc] = n
		}
	}
	if len(nft.Services) == 0 {
		nft.Services = nil
	}
	return nft, nil
}

// ruleEndpoints is the number of endpoints one rule of a service chain
// sends to: N for `numgen random mod N` (the key of a map of endpoints or of
// a vmap of endpoint chains), 1 for a plain DNAT (a single endpoint), 0
// otherwise.
func ruleEndpoints(stmts []nftStatement) int {
	dnat := 0
	for _, st := range stmts {
		switch {
		case st.VMap != nil && st.VMap.Key.Numgen != nil:
			return st.VMap.Key.Numgen.Mod
		case st.DNAT != nil && st.DNAT.Addr.Map != nil && st.DNAT.Addr.Map.Key.Numgen != nil:
			return st.DNAT.Addr.Map.Key.Numgen.Mod
		case st.DNAT != nil:
			dnat = 1
		}
	}
	return dnat
}

// nftChainService returns the service port name (as kube-proxy names it)
// of one of kube-proxy's per-service chains, named
// <prefix><hash>-<namespace>/<service>/<protocol>/<port>[__<endpoint>], or
// "" for any other chain.
func nftChainService(chain, prefix string) string {
	rest, ok := strings.CutPrefix(chain, prefix)
	if !ok {
		return ""
	}
	_, rest, ok = strings.Cut(rest, "-")
	if !ok {
		return ""
	}
	svc, _, _ := strings.Cut(rest, "__")
	parts := strings.Split(svc, "/")
	if len(parts) != 4 {
		return ""
	}
	return servicePortName(parts[0]+"/"+parts[1], parts[3])
}

// servicePortName names a service port as kube-proxy does:
// namespace/service, plus :port when the port has a name.
func servicePortName(service, port string) string {
	if port == "" {
		return service
	}
	return service + ":" + port
}
