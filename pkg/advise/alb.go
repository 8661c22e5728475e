package advise

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/drillkit/drill/pkg/awslb"
)

// Defaults of the AWS Load Balancer Controller (its Ingress annotation
// reference) and of Elastic Load Balancing (the ALB user guide), used where
// an ALB Ingress leaves a setting out.
const (
	defaultTargetType          = awslb.TargetTypeInstance
	defaultHealthInterval      = 15 * time.Second
	defaultHealthyThreshold    = 2
	defaultDeregistrationDelay = 300 * time.Second
	defaultIdleTimeout         = 60 * time.Second
)

// annNLBTargetType is the controller's target type of a LoadBalancer
// Service (an NLB).
const annNLBTargetType = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"

// albSettings are the settings of one ALB target group and its load
// balancer, from the annotations or the defaults.
type albSettings struct {
	targetType          string
	deregistrationDelay time.Duration
	healthInterval      time.Duration
	healthyThreshold    int
	idleTimeout         time.Duration
}

// readALB reads the settings of the target group of svc behind ing: the
// Service's annotations override the Ingress's, as in the controller. A
// value that is not valid is an error at its line.
func readALB(ing Item[networkingv1.Ingress], svc Item[corev1.Service]) (albSettings, []error) {
	s := albSettings{
		targetType:          defaultTargetType,
		deregistrationDelay: defaultDeregistrationDelay,
		healthInterval:      defaultHealthInterval,
		healthyThreshold:    defaultHealthyThreshold,
		idleTimeout:         defaultIdleTimeout,
	}
	var errs []error
	// lookup finds key on the Service, else on the Ingress (Ingress only
	// when ingressOnly).
	lookup := func(key string, ingressOnly bool) (string, Object, bool) {
		if v, ok := svc.V.Annotations[key]; ok && !ingressOnly {
			return v, svc.At("metadata", "annotations", key), true
		}
		v, ok := ing.V.Annotations[key]
		return v, ing.At("metadata", "annotations", key), ok
	}
	bad := func(at Object, key, v, want string) {
		errs = append(errs, fmt.Errorf("%s:%d: %s: %s %q: %s", at.File, at.Line, at, key, v, want))
	}
	if v, at, ok := lookup(awslb.AnnTargetType, false); ok {
		if v != awslb.TargetTypeInstance && v != awslb.TargetTypeIP {
			bad(at, awslb.AnnTargetType, v, "use instance or ip")
		} else {
			s.targetType = v
		}
	}
	count := func(key string, dst *int) {
		if v, at, ok := lookup(key, false); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				bad(at, key, v, "use a whole number above 0")
				return
			}
			*dst = n
		}
	}
	secs := func(v string, dst *time.Duration) bool {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return false
		}
		*dst = time.Duration(n) * time.Second
		return true
	}
	if v, at, ok := lookup(awslb.AnnHealthCheckInterval, false); ok && !secs(v, &s.healthInterval) {
		bad(at, awslb.AnnHealthCheckInterval, v, "use whole seconds")
	}
	count(awslb.AnnHealthyThreshold, &s.healthyThreshold)
	attr := func(ann, key string, ingressOnly bool, dst *time.Duration) {
		v, at, ok := lookup(ann, ingressOnly)
		if !ok {
			return
		}
		attrs, err := awslb.ParseAttributes(v)
		if err != nil {
			bad(at, ann, v, err.Error())
			return
		}
		if a, ok := attrs[key]; ok && !secs(a, dst) {
			bad(at, ann, v, key+" takes whole seconds")
		}
	}
	attr(awslb.AnnTargetGroupAttributes, awslb.AttrDeregistrationDelay, false, &s.deregistrationDelay)
	attr(awslb.AnnLoadBalancerAttributes, awslb.AttrIdleTimeout, true, &s.idleTimeout)
	return s, errs
}
