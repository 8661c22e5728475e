package run

import (
	"fmt"
	"net/netip"

	"github.com/drillkit/drill/pkg/lab"
)

// Guard returns the check every load connection goes through: loopback and
// the lab range are allowed; anything else only when allowRemote is set.
func Guard(allowRemote bool) func(netip.Addr) error {
	return func(a netip.Addr) error {
		a = a.Unmap()
		if allowRemote || a.IsLoopback() || lab.Range().Contains(a) {
			return nil
		}
		return fmt.Errorf("%s is neither loopback nor in the lab range %s; pass --allow-remote to send load there", a, lab.Range())
	}
}
