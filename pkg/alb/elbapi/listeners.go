package elbapi

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/drillkit/drill/pkg/alb/dataplane"
)

// The listener and its rules, read-only: DescribeListeners and
// DescribeRules answer with the lab ALB's one HTTP listener and the rules
// its Ingress controller made, in the shapes the AWS Load Balancer
// Controller gives them (host-header and path-pattern conditions, forward
// actions, a default rule answering 404).

type xmlListener struct {
	ListenerArn     string
	LoadBalancerArn string
	Port            int
	Protocol        string
	DefaultActions  xmlMembers[xmlAction]
}

type xmlAction struct {
	Type                string
	Order               int
	TargetGroupArn      string            `xml:",omitempty"`
	ForwardConfig       *xmlForwardConfig `xml:",omitempty"`
	FixedResponseConfig *xmlFixedResponse `xml:",omitempty"`
}

type xmlForwardConfig struct {
	TargetGroups                xmlMembers[xmlWeightedGroup]
	TargetGroupStickinessConfig struct{ Enabled bool }
}

type xmlWeightedGroup struct {
	TargetGroupArn string
	Weight         int
}

type xmlFixedResponse struct {
	StatusCode  string
	ContentType string
}

type xmlRule struct {
	RuleArn    string
	Priority   string
	Conditions xmlMembers[xmlCondition]
	Actions    xmlMembers[xmlAction]
	IsDefault  bool
}

type xmlCondition struct {
	Field             string
	Values            xmlMembers[string]
	HostHeaderConfig  *xmlValues `xml:",omitempty"`
	PathPatternConfig *xmlValues `xml:",omitempty"`
}

type xmlValues struct {
	Values xmlMembers[string]
}

func listenerNotFound(arn string) *apiError {
	return &apiError{http.StatusBadRequest, "ListenerNotFound", fmt.Sprintf("listener %q not found", arn)}
}

// defaultAction answers what no rule matches, as the controller's default
// action does: a fixed 404.
func defaultAction() xmlAction {
	return xmlAction{Type: "fixed-response", Order: 1, FixedResponseConfig: &xmlFixedResponse{StatusCode: "404", ContentType: "text/plain"}}
}

func (a *Handler) describeListeners(f url.Values) (any, error) {
	lbArn, arns := f.Get("LoadBalancerArn"), members(f, "ListenerArns")
	switch {
	case lbArn == "" && len(arns) == 0:
		return nil, validationError("specify LoadBalancerArn or ListenerArns")
	case lbArn != "" && lbArn != a.lb.ARN():
		return nil, &apiError{http.StatusBadRequest, "LoadBalancerNotFound", fmt.Sprintf("load balancer %q not found", lbArn)}
	}
	for _, arn := range arns {
		if arn != a.lb.ListenerARN() {
			return nil, listenerNotFound(arn)
		}
	}
	l := xmlListener{ListenerArn: a.lb.ListenerARN(), LoadBalancerArn: a.lb.ARN(), Port: a.lb.ListenerPort(), Protocol: "HTTP"}
	l.DefaultActions.Member = []xmlAction{defaultAction()}
	return struct {
		XMLName   xml.Name `xml:"DescribeListenersResult"`
		Listeners xmlMembers[xmlListener]
	}{Listeners: xmlMembers[xmlListener]{[]xmlListener{l}}}, nil
}

// rules returns the listener's rules by priority, the default rule last.
func (a *Handler) rules() []xmlRule {
	var out []xmlRule
	for i, r := range a.lb.Rules() {
		x := xmlRule{RuleArn: a.lb.RuleARN(r), Priority: strconv.Itoa(i + 1)}
		if r.Host != "" {
			x.Conditions.Member = append(x.Conditions.Member, condition("host-header", []string{r.Host}))
		}
		if p := pathPatterns(r); len(p) > 0 || r.Host == "" {
			if len(p) == 0 {
				p = []string{"/*"}
			}
			x.Conditions.Member = append(x.Conditions.Member, condition("path-pattern", p))
		}
		x.Actions.Member = []xmlAction{forwardAction(r)}
		out = append(out, x)
	}
	def := xmlRule{RuleArn: a.lb.DefaultRuleARN(), Priority: "default", IsDefault: true}
	def.Actions.Member = []xmlAction{defaultAction()}
	return append(out, def)
}

func condition(field string, values []string) xmlCondition {
	c := xmlCondition{Field: field, Values: xmlMembers[string]{values}}
	cfg := &xmlValues{Values: xmlMembers[string]{values}}
	if field == "host-header" {
		c.HostHeaderConfig = cfg
	} else {
		c.PathPatternConfig = cfg
	}
	return c
}

// pathPatterns are the path-pattern values of a rule: an exact path as
// itself, a prefix as itself and everything below it, as the controller
// writes Ingress paths of pathType Exact and Prefix.
func pathPatterns(r dataplane.Rule) []string {
	switch {
	case r.Path == "":
		return nil
	case r.PathExact:
		return []string{r.Path}
	case r.Path == "/":
		return []string{"/*"}
	}
	p := strings.TrimSuffix(r.Path, "/")
	return []string{p, p + "/*"}
}

func forwardAction(r dataplane.Rule) xmlAction {
	x := xmlAction{Type: "forward", Order: 1, ForwardConfig: &xmlForwardConfig{}}
	if len(r.Forward) == 0 {
		if r.TargetGroup != nil {
			x.TargetGroupArn = r.TargetGroup.ARN()
			x.ForwardConfig.TargetGroups.Member = []xmlWeightedGroup{{r.TargetGroup.ARN(), 1}}
		}
		return x
	}
	for _, w := range r.Forward {
		x.ForwardConfig.TargetGroups.Member = append(x.ForwardConfig.TargetGroups.Member, xmlWeightedGroup{w.TargetGroup.ARN(), w.Weight})
	}
	return x
}

func (a *Handler) describeRules(f url.Values) (any, error) {
	listener, arns := f.Get("ListenerArn"), members(f, "RuleArns")
	switch {
	case listener == "" && len(arns) == 0:
		return nil, validationError("specify ListenerArn or RuleArns")
	case listener != "" && listener != a.lb.ListenerARN():
		return nil, listenerNotFound(listener)
	}
	all := a.rules()
	sel := all
	if len(arns) > 0 {
		sel = nil
		for _, arn := range arns {
			i := indexRule(all, arn)
			if i < 0 {
				return nil, &apiError{http.StatusBadRequest, "RuleNotFound", fmt.Sprintf("rule %q not found", arn)}
			}
			sel = append(sel, all[i])
		}
	}
	return struct {
		XMLName xml.Name `xml:"DescribeRulesResult"`
		Rules   xmlMembers[xmlRule]
	}{Rules: xmlMembers[xmlRule]{sel}}, nil
}

func indexRule(rules []xmlRule, arn string) int {
	for i, r := range rules {
		if r.RuleArn == arn {
			return i
		}
	}
	return -1
}
