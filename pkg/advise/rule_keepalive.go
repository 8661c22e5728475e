package advise

import (
	"fmt"
	"time"

	"github.com/drillkit/drill/pkg/awslb"
)

func keepAliveBelowIdleTimeout() Rule {
	return Rule{
		ID:      "keepalive-below-idle-timeout",
		Level:   LevelWarning,
		Summary: "the app closes idle keep-alive connections before the ALB does",
		Why: "The ALB reuses its connections to the targets until they have been idle for its idle " +
			"timeout (60 s by default, load balancer attribute " + awslb.AttrIdleTimeout + " in the " +
			"annotation " + awslb.AnnLoadBalancerAttributes + "). An app that closes an idle connection " +
			"sooner races the ALB, which may send a request on it just as it closes: 502. drill checks only " +
			"where the manifest states the app's keep-alive timeout: the annotation " + AnnKeepAliveTimeout +
			" on the pod template or the Deployment, or gunicorn's --keep-alive in a serving container's " +
			"command, args or GUNICORN_CMD_ARGS (gunicorn's default is 2 s).",
		Evidence: "AWS: the idle timeout is 60 s by default, and the application's idle timeout should be " +
			"larger than the load balancer's, or the ALB may send a request on a connection the target is " +
			"closing and return 502",
		Sources: []string{
			"https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout",
			"https://docs.gunicorn.org/en/stable/settings.html#keepalive",
		},
		Fix: "raise the app's keep-alive timeout above the ALB's idle timeout (for example 65 s against 60 s), or lower the idle timeout",
		check: func(md *model, w *workload) []issue {
			albs := w.albFronts()
			if len(albs) == 0 {
				return nil
			}
			keep, at, from, ok, _ := w.keepAlive()
			if !ok {
				return nil
			}
			var idle time.Duration
			var worst front
			for _, f := range albs {
				if f.alb.idleTimeout > idle {
					idle, worst = f.alb.idleTimeout, f
				}
			}
			if keep > idle {
				return nil
			}
			return []issue{{
				at:     at,
				reason: fmt.Sprintf("the app's keep-alive timeout (%s, %s) is not above the idle timeout %s of %s", inSeconds(keep), from, inSeconds(idle), worst.lb),
				fix:    fmt.Sprintf("raise the app's keep-alive timeout above %s (for example %d s)", inSeconds(idle), ceilSeconds(idle)+5),
			}}
		},
	}
}
