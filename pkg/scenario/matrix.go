package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Matrix lists configuration variables and the values each takes, in the
// order written; every combination is one run of the scenario.
type Matrix []MatrixVar

// MatrixVar is one variable of a matrix and its values, in canonical form.
type MatrixVar struct {
	Name   string
	Values []string
}

// Variant is one combination of a matrix's values.
type Variant struct {
	// Label names the combination, e.g. "proxyMode=ipvs preStopSleep=15s".
	Label string
	// Values holds each variable's value by variable name.
	Values map[string]string
}

// Matrix variables.
const (
	VarProxyMode           = "target.lab.proxyMode"
	VarNodes               = "target.lab.nodes"
	VarHostConntrackMax    = "target.lab.hostConntrackMax"
	VarTCPEstablished      = "target.lab.conntrackTimeouts.tcpEstablished"
	VarTCPTimeWait         = "target.lab.conntrackTimeouts.tcpTimeWait"
	VarTCPCloseWait        = "target.lab.conntrackTimeouts.tcpCloseWait"
	VarUDPTimeout          = "target.lab.conntrackTimeouts.udp"
	VarPreStopSleep        = "setup.preStopSleep"
	VarGracePeriod         = "setup.terminationGracePeriodSeconds"
	VarDeregistrationDelay = "setup.deregistrationDelay"
	VarReadinessGates      = "setup.readinessGates"
)

// maxVariants bounds the runs one matrix expands to.
const maxVariants = 16

// MaxRepeat bounds the trials of one scenario or matrix combination.
const MaxRepeat = 20

// maxRuns bounds the runs of one scenario: matrix combinations times trials.
const maxRuns = 64

// matrixVar says what a variable means and reads one of its values into
// canonical form.
type matrixVar struct {
	name, values, doc string
	parse             func(string) (string, error)
	unit              Unit
}

// MatrixVars lists the variables a matrix may set.
func matrixVars() []matrixVar {
	return []matrixVar{
		{VarProxyMode, "iptables | nftables | ipvs", "kube-proxy mode of the lab's nodes.", enumValue("iptables", "nftables", "ipvs"), UnitNone},
		{VarNodes, "integer 1..10", "Number of lab nodes.", intValue(1, 10), UnitCount},
		{VarHostConntrackMax, "integer 0, or 1024..16777216", "The host's global nf_conntrack_max for the run, as target.lab.hostConntrackMax (needs drill run --allow-host-sysctl).", conntrackMaxValue, UnitCount},
		{VarTCPEstablished, "duration 1s..2147483s, whole seconds", "nf_conntrack_tcp_timeout_established of every lab node, as target.lab.conntrackTimeouts.tcpEstablished.", timeoutValue, UnitSeconds},
		{VarTCPTimeWait, "duration 1s..2147483s, whole seconds", "nf_conntrack_tcp_timeout_time_wait of every lab node, as target.lab.conntrackTimeouts.tcpTimeWait.", timeoutValue, UnitSeconds},
		{VarTCPCloseWait, "duration 1s..2147483s, whole seconds", "nf_conntrack_tcp_timeout_close_wait of every lab node, as target.lab.conntrackTimeouts.tcpCloseWait.", timeoutValue, UnitSeconds},
		{VarUDPTimeout, "duration 1s..2147483s, whole seconds", "nf_conntrack_udp_timeout of every lab node, as target.lab.conntrackTimeouts.udp.", timeoutValue, UnitSeconds},
		{VarPreStopSleep, "duration 0s..1h, whole seconds", "preStop hook of every container of the setup's Deployments: exec sleep for that long; 0s removes the hook.", secondsValue(time.Hour), UnitSeconds},
		{VarGracePeriod, "integer 0..3600", "terminationGracePeriodSeconds of the setup's Deployments.", intValue(0, 3600), UnitCount},
		{VarDeregistrationDelay, "duration 0s..1h, whole seconds", "deregistration_delay.timeout_seconds in the target-group-attributes annotation of the setup's Ingresses.", secondsValue(time.Hour), UnitSeconds},
		{VarReadinessGates, "true | false", "Lab only: the pod readiness gate of the load balancer's target group (target-health.elbv2.k8s.aws/...) in the setup's Deployments behind ip-target Ingresses; false removes such gates.", enumValue("true", "false"), UnitNone},
	}
}

func enumValue(allowed ...string) func(string) (string, error) {
	return func(s string) (string, error) {
		if !slices.Contains(allowed, s) {
			return "", fmt.Errorf("%q: use one of %s", s, strings.Join(allowed, ", "))
		}
		return s, nil
	}
}

func intValue(lo, hi int) func(string) (string, error) {
	return func(s string) (string, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("%q: use a whole number from %d to %d", s, lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

func conntrackMaxValue(s string) (string, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n != 0 && (n < minHostConntrackMax || n > 16777216) {
		return "", fmt.Errorf("%q: use 0 (leave the host alone) or %d to 16777216", s, minHostConntrackMax)
	}
	return strconv.Itoa(n), nil
}

// timeoutValue reads a conntrack timeout: whole seconds the kernel accepts.
func timeoutValue(s string) (string, error) {
	d, err := time.ParseDuration(s)
	if err != nil || checkTimeout(d) != "" {
		return "", fmt.Errorf("%q: use a duration in whole seconds from 1s to %ds, like 30s", s, int64(MaxConntrackTimeout/time.Second))
	}
	return short(d), nil
}

// checkTimeout says what is wrong with a conntrack timeout, or "".
func checkTimeout(d time.Duration) string {
	switch {
	case d < time.Second || d > MaxConntrackTimeout:
		v := short(d)
		if d%time.Second == 0 {
			v = fmt.Sprintf("%ds", int64(d/time.Second))
		}
		return fmt.Sprintf("%s is outside what the kernel accepts: use 1s to %ds (24.8 days, INT_MAX/HZ), or leave it out for the default", v, int64(MaxConntrackTimeout/time.Second))
	case d%time.Second != 0:
		return fmt.Sprintf("%s: the kernel takes whole seconds, like %s", short(d), short(d.Round(time.Second)))
	}
	return ""
}

func secondsValue(most time.Duration) func(string) (string, error) {
	return func(s string) (string, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > most || d%time.Second != 0 {
			return "", fmt.Errorf("%q: use a duration in whole seconds from 0s to %s, like 15s", s, short(most))
		}
		return short(d), nil
	}
}

var _ nodeDecoder = (*Matrix)(nil)

func (m *Matrix) decodeNode(d *decoder, n *yaml.Node, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(nodePos(n), path, "expected a mapping of variable: [values], got %s", describe(n))
		return
	}
	vars := matrixVars()
	var names []string
	for _, v := range vars {
		names = append(names, v.name)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			return
		}
		child := join(path, k.Value)
		vi := slices.IndexFunc(vars, func(v matrixVar) bool { return v.name == k.Value })
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(nodePos(k), path, "variable names must be plain strings, got %s", describe(k))
			continue
		case vi < 0:
			d.errorf(nodePos(k), child, "%s", unknownField(k.Value, names))
			continue
		case slices.ContainsFunc(*m, func(v MatrixVar) bool { return v.Name == k.Value }):
			d.errorf(nodePos(k), child, "variable given twice: keep one")
			continue
		}
		d.keys[child] = nodePos(k)
		list := d.resolve(n.Content[i+1], child)
		if list == nil {
			return
		}
		d.vals[child] = nodePos(list)
		if list.Kind != yaml.SequenceNode {
			d.errorf(nodePos(list), child, "expected a list of values (%s), got %s", vars[vi].values, describe(list))
			continue
		}
		if len(list.Content) == 0 {
			d.errorf(nodePos(list), child, "the list is empty: give at least one value (%s)", vars[vi].values)
			continue
		}
		mv := MatrixVar{Name: k.Value}
		for j, item := range list.Content {
			ipath := fmt.Sprintf("%s[%d]", child, j)
			if item.Kind != yaml.ScalarNode || isNull(item) {
				d.errorf(nodePos(item), ipath, "expected %s, got %s", vars[vi].values, describe(item))
				continue
			}
			v, err := vars[vi].parse(item.Value)
			switch {
			case err != nil:
				d.errorf(nodePos(item), ipath, "%v", err)
			case slices.Contains(mv.Values, v):
				d.errorf(nodePos(item), ipath, "%s listed twice", v)
			default:
				mv.Values = append(mv.Values, v)
			}
		}
		*m = append(*m, mv)
	}
}

// Variants returns every combination of the matrix's values, the first
// variable changing slowest; nil for an empty matrix.
func (m Matrix) Variants() []Variant {
	if len(m) == 0 {
		return nil
	}
	out := []Variant{{Values: map[string]string{}}}
	for _, v := range m {
		var next []Variant
		for _, base := range out {
			for _, val := range v.Values {
				vals := make(map[string]string, len(base.Values)+1)
				for k, x := range base.Values {
					vals[k] = x
				}
				vals[v.Name] = val
				label := strings.TrimSpace(base.Label + " " + shortVar(v.Name) + "=" + val)
				next = append(next, Variant{Label: label, Values: vals})
			}
		}
		out = next
	}
	return out
}

// shortVar is a variable's name without its section, for labels.
func shortVar(name string) string {
	return name[strings.LastIndexByte(name, '.')+1:]
}

// size is the number of combinations.
func (m Matrix) size() int {
	n := 1
	for _, v := range m {
		n *= max(1, len(v.Values))
	}
	return n
}
