package lab

import (
	"os"

	"github.com/drillkit/drill/pkg/lab/ipvsemu"
)

// IPVSEmulatedLabel is how status and reports name the emulated IPVS mode:
// on a kernel without ip_vs the lab runs an IPVS-like round-robin proxier
// (package ipvsemu) instead of kube-proxy.
const IPVSEmulatedLabel = ipvsemu.Label

// kernelHasIPVS reports whether the kernel provides IPVS (built in or
// already loaded: the lab never loads modules).
func kernelHasIPVS() bool {
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

// ProxyModeLabel is the proxy mode as status and reports must show it.
func ProxyModeLabel(mode string) string {
	if mode == ProxyIPVS && !kernelHasIPVS() {
		return IPVSEmulatedLabel
	}
	return mode
}
