package dataplane

import (
	"sort"
	"strconv"
	"time"

	"github.com/drillkit/drill/pkg/awslb"
)

// Attribute is a target group attribute as the ELBv2 API names it.
type Attribute struct {
	Key, Value string
}

// fixedAttributes are reported with their AWS defaults and cannot be
// changed in the lab.
var fixedAttributes = []Attribute{
	{"load_balancing.algorithm.type", "round_robin"},
	{"load_balancing.cross_zone.enabled", "use_load_balancer_configuration"},
	{"slow_start.duration_seconds", "0"},
	{"stickiness.enabled", "false"},
	{"stickiness.lb_cookie.duration_seconds", "86400"},
	{"stickiness.type", "lb_cookie"},
}

// IsFixedAttribute reports whether key=value is an attribute the lab reports
// with its AWS default and cannot change: setting it to that value is
// accepted, any other value is not supported. Only the deregistration delay
// (awslb.AttrDeregistrationDelay) can change.
func IsFixedAttribute(key, value string) bool {
	for _, a := range fixedAttributes {
		if a.Key == key && a.Value == value {
			return true
		}
	}
	return false
}

// Attributes returns the group's attributes sorted by key: the
// deregistration delay and the fixed ones.
func (tg *TargetGroup) Attributes() []Attribute {
	c := tg.Config()
	out := []Attribute{{awslb.AttrDeregistrationDelay, strconv.Itoa(int(c.DeregistrationDelay / time.Second))}}
	out = append(out, fixedAttributes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
