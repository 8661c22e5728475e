package run

import (
	"fmt"
	"net/netip"
)

// LabRange is the address range the embedded lab creates its namespaces in.
var LabRange = netip.MustParsePrefix("198.18.0.0/15")

// Guard returns the check every load connection goes through: loopback and
// the lab range are allowed; anything else only when allowRemote is set.
func Guard(allowRemote bool) func(netip.Addr) error {
	return func(a netip.Addr) error {
		a = a.Unmap()
		if allowRemote || a.IsLoopback() || LabRange.Contains(a) {
			return nil
		}
		return fmt.Errorf("%s is neither loopback nor in the lab range %s; pass --allow-remote to send load there", a, LabRange)
	}
}
