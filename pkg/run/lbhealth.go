package run

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/drillkit/drill/pkg/elbv2"
)

// lbReadyTimeout bounds the wait for the load balancer to have a healthy
// target for every Ingress of the setup.
const lbReadyTimeout = 3 * time.Minute

// waitTargets waits until every Ingress the setup applied has target groups
// with at least one healthy target, and returns those groups.
func (s *system) waitTargets(ctx context.Context) ([]elbv2.TargetGroup, error) {
	var all []elbv2.TargetGroup
	for _, o := range s.applied {
		if o.Kind != "Ingress" {
			continue
		}
		var groups []elbv2.TargetGroup
		var last string
		ctx, cancel := context.WithTimeout(ctx, lbReadyTimeout)
		err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			if groups, err = s.elb.TargetGroupsForIngress(ctx, o.Namespace, o.Name, ""); err != nil {
				last = err.Error()
				return false, nil
			}
			for _, sm := range s.elb.SampleOnce(ctx, groups) {
				if sm.Counts["healthy"] == 0 {
					last = fmt.Sprintf("target group %s has no healthy target yet (%v)", sm.TargetGroup, sm.Counts)
					return false, nil
				}
			}
			return true, nil
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("load balancer for %s not ready: %s", o, last)
		}
		all = append(all, groups...)
	}
	if len(all) == 0 && len(s.applied) > 0 {
		return nil, fmt.Errorf("the lab load balancer routes by Ingress and the setup applied none: add a manifest with an Ingress of ingressClassName alb to setup (see scenarios/manifests/web.yaml)")
	}
	return all, nil
}
