package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
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

// nftObject is one element of `nft -j` output; exactly one field is set.
type nftObject struct {
	Table *nftRef `json:"table"`
	Chain *nftRef `json:"chain"`
	Rule  *nftRef `json:"rule"`
	Set   *nftRef `json:"set"`
	Map   *nftRef `json:"map"`
}

type nftRef struct {
	Family string          `json:"family"`
	Table  string          `json:"table"`
	Name   string          `json:"name"`
	Chain  string          `json:"chain"`
	Expr   json.RawMessage `json:"expr"`
}

// numgenMod finds the modulus of a `numgen random mod N` expression.
var numgenMod = regexp.MustCompile(`"numgen":\s*\{[^}]*"mod":\s*(\d+)`)

// ParseNFTJSON counts the tables, chains, rules, sets and maps of
// `nft -j list ruleset` output, and the endpoint chains of every Service in
// kube-proxy's nftables table.
func ParseNFTJSON(b []byte) (NFTables, error) {
	var doc struct {
		Nftables []nftObject `json:"nftables"`
	}
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
					if n := ruleEndpoints(o.Rule.Expr); n > fromRules[svc] {
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
// sends to: N for `numgen random mod N` (a map or a vmap of endpoints), 1
// for a plain DNAT (a single endpoint), 0 otherwise.
func ruleEndpoints(expr json.RawMessage) int {
	if m := numgenMod.FindSubmatch(expr); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	if strings.Contains(string(expr), `"dnat"`) {
		return 1
	}
	return 0
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
