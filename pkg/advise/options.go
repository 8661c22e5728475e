package advise

import (
	"fmt"
	"time"
)

// IngressDefaultsEKS applies the AWS Load Balancer Controller's defaults to
// every Ingress, whatever its class (Options.IngressDefaults).
const IngressDefaultsEKS = "eks"

// DefaultPropagation is the time drill assumes from a pod's deletion until
// the load balancer stops sending it new requests (docs/advise.md,
// prestop-short: AWS documents no number).
const DefaultPropagation = 10 * time.Second

// KubeProxySync is kube-proxy's default minSyncPeriod: after an endpoint
// change its rules are rewritten within about a second.
const KubeProxySync = time.Second

// Options tune the analysis.
type Options struct {
	// IngressDefaults is "" (the controller's defaults apply to Ingresses
	// of an ALB class only) or IngressDefaultsEKS.
	IngressDefaults string
	// Propagation replaces DefaultPropagation when above 0.
	Propagation time.Duration
}

// Validate reports options advise cannot use.
func (o Options) Validate() error {
	if o.IngressDefaults != "" && o.IngressDefaults != IngressDefaultsEKS {
		return fmt.Errorf("ingress defaults %q: use %s (or leave it out)", o.IngressDefaults, IngressDefaultsEKS)
	}
	if o.Propagation < 0 {
		return fmt.Errorf("propagation %s: use a duration above 0", o.Propagation)
	}
	return nil
}

// propagation is the propagation time in use.
func (o Options) propagation() time.Duration {
	if o.Propagation > 0 {
		return o.Propagation
	}
	return DefaultPropagation
}

// preStopNeeded is the least preStop wait behind a load balancer.
func (o Options) preStopNeeded() time.Duration {
	return o.propagation() + KubeProxySync
}
