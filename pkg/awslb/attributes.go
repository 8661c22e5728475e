package awslb

import (
	"fmt"
	"strings"
)

// ParseAttributes reads a stringMap annotation value ("k1=v1,k2=v2"), the
// form of AnnTargetGroupAttributes and AnnLoadBalancerAttributes. An entry
// without "=" is an error naming it.
func ParseAttributes(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return out, fmt.Errorf("%q is not key=value", kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return out, nil
}
