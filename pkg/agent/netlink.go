package agent

import "github.com/drillkit/drill/pkg/conntrack"

// conntrackStats reads the per-CPU statistics of the calling process's
// network namespace, as `conntrack -S` does. It needs CAP_NET_ADMIN.
func conntrackStats() ([]ConntrackStats, error) {
	per, err := conntrack.Stats()
	if err != nil {
		return nil, err
	}
	out := make([]ConntrackStats, len(per))
	for i, s := range per {
		out[i] = ConntrackStats(s)
	}
	return out, nil
}

// conntrackGlobal reads the namespace's entry count and the kernel-wide
// limit through netlink.
func conntrackGlobal() (count, max int64, err error) {
	g, err := conntrack.Global()
	return g.Count, g.Max, err
}
