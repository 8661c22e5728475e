package alb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Annotation prefix and keys read from Ingresses (and, overriding them, from
// the backend Services), as the AWS Load Balancer Controller does.
const (
	AnnotationPrefix          = "alb.ingress.kubernetes.io/"
	AnnTargetType             = AnnotationPrefix + "target-type"
	AnnTargetGroupAttributes  = AnnotationPrefix + "target-group-attributes"
	AnnHealthCheckPath        = AnnotationPrefix + "healthcheck-path"
	AnnHealthCheckPort        = AnnotationPrefix + "healthcheck-port"
	AnnHealthCheckInterval    = AnnotationPrefix + "healthcheck-interval-seconds"
	AnnHealthCheckTimeout     = AnnotationPrefix + "healthcheck-timeout-seconds"
	AnnHealthyThreshold       = AnnotationPrefix + "healthy-threshold-count"
	AnnUnhealthyThreshold     = AnnotationPrefix + "unhealthy-threshold-count"
	AnnSuccessCodes           = AnnotationPrefix + "success-codes"
	AnnIngressClassDeprecated = "kubernetes.io/ingress.class"
	// ReadinessGatePrefix prefixes the pod condition type set for ip
	// targets: target-health.elbv2.k8s.aws/<target group name>.
	ReadinessGatePrefix = "target-health.elbv2.k8s.aws/"
)

// groupSettings is what the annotations say about a target group.
type groupSettings struct {
	targetType string
	health     HealthCheck
	delay      time.Duration // 0: not set (AWS default applies)
	delaySet   bool
}

// parseAnnotations reads the target-group annotations; later maps override
// earlier ones (Ingress, then Service). Every problem is reported.
func parseAnnotations(maps ...map[string]string) (groupSettings, error) {
	merged := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			if strings.HasPrefix(k, AnnotationPrefix) {
				merged[k] = strings.TrimSpace(v)
			}
		}
	}
	s := groupSettings{targetType: TargetTypeInstance}
	var errs []error
	if v, ok := merged[AnnTargetType]; ok {
		if v != TargetTypeInstance && v != TargetTypeIP {
			errs = append(errs, fmt.Errorf("%s %q: use instance or ip", AnnTargetType, v))
		} else {
			s.targetType = v
		}
	}
	secs := func(key string, dst *time.Duration) {
		if v, ok := merged[key]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 300 {
				errs = append(errs, fmt.Errorf("%s %q: use whole seconds (1-300)", key, v))
				return
			}
			*dst = time.Duration(n) * time.Second
		}
	}
	count := func(key string, dst *int) {
		if v, ok := merged[key]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10 {
				errs = append(errs, fmt.Errorf("%s %q: use 1-10", key, v))
				return
			}
			*dst = n
		}
	}
	if v, ok := merged[AnnHealthCheckPath]; ok {
		s.health.Path = v
	}
	if v, ok := merged[AnnHealthCheckPort]; ok {
		s.health.Port = v
	}
	if v, ok := merged[AnnSuccessCodes]; ok {
		s.health.Matcher = v
	}
	secs(AnnHealthCheckInterval, &s.health.Interval)
	secs(AnnHealthCheckTimeout, &s.health.Timeout)
	count(AnnHealthyThreshold, &s.health.HealthyThreshold)
	count(AnnUnhealthyThreshold, &s.health.UnhealthyThreshold)
	if v, ok := merged[AnnTargetGroupAttributes]; ok {
		for _, kv := range strings.Split(v, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, val, found := strings.Cut(kv, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			switch {
			case !found:
				errs = append(errs, fmt.Errorf("%s: %q is not key=value", AnnTargetGroupAttributes, kv))
			case k == AttrDeregistrationDelay:
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 || n > 3600 {
					errs = append(errs, fmt.Errorf("%s: %s=%q: use 0-3600", AnnTargetGroupAttributes, k, val))
					continue
				}
				s.delay, s.delaySet = time.Duration(n)*time.Second, true
			default:
				ok := false
				for _, f := range fixedAttributes {
					ok = ok || f[0] == k && f[1] == val
				}
				if !ok {
					errs = append(errs, fmt.Errorf("%s: %s=%s is not supported by the lab ALB (only %s)", AnnTargetGroupAttributes, k, val, AttrDeregistrationDelay))
				}
			}
		}
	}
	h := s.health.withDefaults()
	if len(errs) == 0 {
		errs = append(errs, h.validate()...)
	}
	return s, errors.Join(errs...)
}
