package ingress

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/awslb"
)

// groupSettings is what the annotations say about a target group.
type groupSettings struct {
	targetType string
	health     dataplane.HealthCheck
	delay      time.Duration // 0: not set (AWS default applies)
	delaySet   bool
}

// parseAnnotations reads the target-group annotations; later maps override
// earlier ones (Ingress, then Service). Every problem is reported.
func parseAnnotations(maps ...map[string]string) (groupSettings, error) {
	merged := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			if strings.HasPrefix(k, awslb.AnnotationPrefix) {
				merged[k] = strings.TrimSpace(v)
			}
		}
	}
	s := groupSettings{targetType: awslb.TargetTypeInstance}
	var errs []error
	if v, ok := merged[awslb.AnnTargetType]; ok {
		if v != awslb.TargetTypeInstance && v != awslb.TargetTypeIP {
			errs = append(errs, fmt.Errorf("%s %q: use instance or ip", awslb.AnnTargetType, v))
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
	if v, ok := merged[awslb.AnnHealthCheckPath]; ok {
		s.health.Path = v
	}
	if v, ok := merged[awslb.AnnHealthCheckPort]; ok {
		s.health.Port = v
	}
	if v, ok := merged[awslb.AnnSuccessCodes]; ok {
		s.health.Matcher = v
	}
	secs(awslb.AnnHealthCheckInterval, &s.health.Interval)
	secs(awslb.AnnHealthCheckTimeout, &s.health.Timeout)
	count(awslb.AnnHealthyThreshold, &s.health.HealthyThreshold)
	count(awslb.AnnUnhealthyThreshold, &s.health.UnhealthyThreshold)
	if v, ok := merged[awslb.AnnTargetGroupAttributes]; ok {
		for _, kv := range strings.Split(v, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, val, found := strings.Cut(kv, "=")
			k, val = strings.TrimSpace(k), strings.TrimSpace(val)
			switch {
			case !found:
				errs = append(errs, fmt.Errorf("%s: %q is not key=value", awslb.AnnTargetGroupAttributes, kv))
			case k == awslb.AttrDeregistrationDelay:
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 || n > 3600 {
					errs = append(errs, fmt.Errorf("%s: %s=%q: use 0-3600", awslb.AnnTargetGroupAttributes, k, val))
					continue
				}
				s.delay, s.delaySet = time.Duration(n)*time.Second, true
			default:
				if !dataplane.IsFixedAttribute(k, val) {
					errs = append(errs, fmt.Errorf("%s: %s=%s is not supported by the lab ALB (only %s)", awslb.AnnTargetGroupAttributes, k, val, awslb.AttrDeregistrationDelay))
				}
			}
		}
	}
	if len(errs) == 0 {
		errs = append(errs, s.health.WithDefaults().Validate())
	}
	return s, errors.Join(errs...)
}
