package elbapi

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
)

// sdkClient is aws-sdk-go-v2's ELBv2 client for the served API.
func sdkClient(t *testing.T, lb *dataplane.LoadBalancer) *sdk.Client {
	t.Helper()
	api, err := Serve(context.Background(), "127.0.0.1:0", lb)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return sdk.New(sdk.Options{Region: dataplane.DefaultRegion, BaseEndpoint: aws.String(api.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("lab", "lab", "")})
}

// ruleShape is what a test compares of a rule: priority, conditions as
// field=values, and the forward action's groups by name and weight.
type ruleShape struct {
	Priority   string
	Default    bool
	Conditions map[string][]string
	Action     string
	Forward    map[string]int32
}

func shapeOf(t *testing.T, r types.Rule, names map[string]string) ruleShape {
	t.Helper()
	s := ruleShape{Priority: aws.ToString(r.Priority), Default: aws.ToBool(r.IsDefault), Conditions: map[string][]string{}}
	for _, c := range r.Conditions {
		field := aws.ToString(c.Field)
		s.Conditions[field] = c.Values
		switch field {
		case "host-header":
			if c.HostHeaderConfig == nil || !reflect.DeepEqual(c.HostHeaderConfig.Values, c.Values) {
				t.Errorf("rule %s: host-header config %+v, want the values %v", s.Priority, c.HostHeaderConfig, c.Values)
			}
		case "path-pattern":
			if c.PathPatternConfig == nil || !reflect.DeepEqual(c.PathPatternConfig.Values, c.Values) {
				t.Errorf("rule %s: path-pattern config %+v, want the values %v", s.Priority, c.PathPatternConfig, c.Values)
			}
		}
	}
	if len(r.Actions) != 1 {
		t.Fatalf("rule %s has %d actions, want 1", s.Priority, len(r.Actions))
	}
	a := r.Actions[0]
	s.Action = string(a.Type)
	switch a.Type {
	case types.ActionTypeEnumForward:
		s.Forward = map[string]int32{}
		for _, g := range a.ForwardConfig.TargetGroups {
			s.Forward[names[aws.ToString(g.TargetGroupArn)]] = aws.ToInt32(g.Weight)
		}
		if len(a.ForwardConfig.TargetGroups) == 1 && aws.ToString(a.TargetGroupArn) != aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn) {
			t.Errorf("rule %s: TargetGroupArn %q, want the forward config's one group", s.Priority, aws.ToString(a.TargetGroupArn))
		}
	case types.ActionTypeEnumFixedResponse:
		s.Action += " " + aws.ToString(a.FixedResponseConfig.StatusCode)
	}
	return s
}

// TestDescribeListenersAndRules reads the lab ALB's listener and rules
// through aws-sdk-go-v2 as the Ingress controller left them: a host and
// prefix rule, an exact path, a weighted forward and a catch-all, then the
// default rule; a rule keeps its ARN when the rules around it change.
func TestDescribeListenersAndRules(t *testing.T) {
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{Name: "blue"})
	green, err := f.LB.CreateTargetGroup(dataplane.TargetGroupConfig{Name: "green", HealthCheck: dataplanetest.QuickHealth()})
	if err != nil {
		t.Fatal(err)
	}
	blue := f.TG
	names := map[string]string{blue.ARN(): "blue", green.ARN(): "green"}
	rules := []dataplane.Rule{
		{Host: "shop.example.com", Path: "/api/", TargetGroup: blue, Source: "default/shop"},
		{Path: "/healthz", PathExact: true, TargetGroup: green, Source: "default/shop"},
		{Path: "/", Forward: []dataplane.WeightedTargetGroup{{TargetGroup: blue, Weight: 90}, {TargetGroup: green, Weight: 10}}, Source: "default/canary"},
		{TargetGroup: green, Source: "default/rest"},
	}
	f.LB.SetRules(rules)
	c := sdkClient(t, f.LB)
	ctx := context.Background()

	lo, err := c.DescribeListeners(ctx, &sdk.DescribeListenersInput{LoadBalancerArn: aws.String(f.LB.ARN())})
	if err != nil {
		t.Fatalf("DescribeListeners: %v", err)
	}
	if len(lo.Listeners) != 1 {
		t.Fatalf("DescribeListeners: %d listeners, want 1", len(lo.Listeners))
	}
	l := lo.Listeners[0]
	if aws.ToString(l.LoadBalancerArn) != f.LB.ARN() || aws.ToInt32(l.Port) != int32(f.LB.ListenerPort()) || l.Protocol != types.ProtocolEnumHttp {
		t.Errorf("listener %s of %s, port %d, %s; want of %s, port %d, HTTP", aws.ToString(l.ListenerArn), aws.ToString(l.LoadBalancerArn), aws.ToInt32(l.Port), l.Protocol, f.LB.ARN(), f.LB.ListenerPort())
	}
	if len(l.DefaultActions) != 1 || l.DefaultActions[0].Type != types.ActionTypeEnumFixedResponse || aws.ToString(l.DefaultActions[0].FixedResponseConfig.StatusCode) != "404" {
		t.Errorf("default actions %+v, want one fixed-response 404", l.DefaultActions)
	}
	byARN, err := c.DescribeListeners(ctx, &sdk.DescribeListenersInput{ListenerArns: []string{aws.ToString(l.ListenerArn)}})
	if err != nil || len(byARN.Listeners) != 1 || aws.ToString(byARN.Listeners[0].ListenerArn) != aws.ToString(l.ListenerArn) {
		t.Errorf("DescribeListeners by ARN: %v, %+v", err, byARN)
	}

	ro, err := c.DescribeRules(ctx, &sdk.DescribeRulesInput{ListenerArn: l.ListenerArn})
	if err != nil {
		t.Fatalf("DescribeRules: %v", err)
	}
	var got []ruleShape
	for _, r := range ro.Rules {
		got = append(got, shapeOf(t, r, names))
	}
	want := []ruleShape{
		{Priority: "1", Conditions: map[string][]string{"host-header": {"shop.example.com"}, "path-pattern": {"/api", "/api/*"}}, Action: "forward", Forward: map[string]int32{"blue": 1}},
		{Priority: "2", Conditions: map[string][]string{"path-pattern": {"/healthz"}}, Action: "forward", Forward: map[string]int32{"green": 1}},
		{Priority: "3", Conditions: map[string][]string{"path-pattern": {"/*"}}, Action: "forward", Forward: map[string]int32{"blue": 90, "green": 10}},
		{Priority: "4", Conditions: map[string][]string{"path-pattern": {"/*"}}, Action: "forward", Forward: map[string]int32{"green": 1}},
		{Priority: "default", Default: true, Conditions: map[string][]string{}, Action: "fixed-response 404"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DescribeRules:\n got %+v\nwant %+v", got, want)
	}

	exact := aws.ToString(ro.Rules[1].RuleArn)
	f.LB.SetRules(rules[1:])
	one, err := c.DescribeRules(ctx, &sdk.DescribeRulesInput{RuleArns: []string{exact}})
	if err != nil {
		t.Fatalf("DescribeRules by ARN after the first rule went: %v", err)
	}
	if len(one.Rules) != 1 || aws.ToString(one.Rules[0].Priority) != "1" || one.Rules[0].Conditions[0].Values[0] != "/healthz" {
		t.Errorf("the exact-path rule after the first rule went: %+v, want it at priority 1 under the same ARN", one.Rules)
	}

	for _, tt := range []struct {
		name string
		call func() error
		code string
	}{
		{"rules of no listener", func() error { _, err := c.DescribeRules(ctx, &sdk.DescribeRulesInput{}); return err }, "ValidationError"},
		{"rules of an unknown listener", func() error {
			_, err := c.DescribeRules(ctx, &sdk.DescribeRulesInput{ListenerArn: aws.String(f.LB.ARN() + "/x")})
			return err
		}, "ListenerNotFound"},
		{"an unknown rule", func() error {
			_, err := c.DescribeRules(ctx, &sdk.DescribeRulesInput{RuleArns: []string{aws.ToString(ro.Rules[0].RuleArn)}})
			return err
		}, "RuleNotFound"},
		{"listeners of no load balancer", func() error { _, err := c.DescribeListeners(ctx, &sdk.DescribeListenersInput{}); return err }, "ValidationError"},
		{"listeners of an unknown load balancer", func() error {
			_, err := c.DescribeListeners(ctx, &sdk.DescribeListenersInput{LoadBalancerArn: aws.String(f.LB.ARN() + "x")})
			return err
		}, "LoadBalancerNotFound"},
		{"an unknown listener", func() error {
			_, err := c.DescribeListeners(ctx, &sdk.DescribeListenersInput{ListenerArns: []string{f.LB.ARN()}})
			return err
		}, "ListenerNotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ae smithy.APIError
			if err := tt.call(); !errors.As(err, &ae) || ae.ErrorCode() != tt.code {
				t.Errorf("error %v, want API error %s", err, tt.code)
			}
		})
	}
}
