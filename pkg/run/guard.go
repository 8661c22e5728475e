package run

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/netguard"
	"github.com/drillkit/drill/pkg/scenario"
)

// Guard returns the check every load connection goes through: loopback and
// the lab range are allowed; anything else only when allowRemote is set.
func Guard(allowRemote bool) func(netip.Addr) error {
	return func(a netip.Addr) error {
		if allowRemote || netguard.Local(a) {
			return nil
		}
		return fmt.Errorf("%s is neither loopback nor in the lab range %s; pass --allow-remote to send load there", a.Unmap(), netguard.LabRange())
	}
}

// CheckClusterChanges refuses a plan with a fault that changes the whole
// cluster (a ClusterWide action: kubeProxyMode) unless the user allowed it. Call it for every
// scenario before any of them runs.
func CheckClusterChanges(plan *Plan, allowClusterChanges bool) error {
	for _, f := range plan.Faults {
		if !allowClusterChanges && inject.ActionOf(f.Fault).ClusterWide {
			return fmt.Errorf("%s: %s %w", plan.Scenario.File, f.Fault.Name(), inject.ErrClusterChanges)
		}
	}
	return nil
}

// CheckHostChanges refuses a scenario that would change a host-wide
// setting unless the user opted in, so that nothing about the host changes
// by surprise. Call it for every scenario before any of them runs.
func CheckHostChanges(sc *scenario.Scenario, allowHostSysctl bool) error {
	if allowHostSysctl {
		return nil
	}
	if l := sc.Target.Lab; l != nil && l.HostConntrackMax > 0 {
		return fmt.Errorf("%s: target.lab.hostConntrackMax sets the host's global nf_conntrack_max to %d for the run; pass --allow-host-sysctl to allow it", sc.File, l.HostConntrackMax)
	}
	for _, v := range sc.Matrix {
		if v.Name == scenario.VarHostConntrackMax && slices.ContainsFunc(v.Values, func(x string) bool { return x != "0" }) {
			return fmt.Errorf("%s: matrix.%s sets the host's global nf_conntrack_max for some runs; pass --allow-host-sysctl to allow it", sc.File, v.Name)
		}
	}
	return nil
}
