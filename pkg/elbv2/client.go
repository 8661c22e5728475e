// Package elbv2 is drill's ELBv2 client on aws-sdk-go-v2: it finds the
// target groups behind a load balancer or an Ingress, samples target health
// onto the run's timeline, and reads, changes and restores the
// deregistration delay. The same code reads a real ALB (standard credential
// chain and region) and the lab ALB (endpoint override, dummy credentials).
package elbv2

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/drillkit/drill/pkg/awslb"
)

// Tag keys the AWS Load Balancer Controller puts on what it creates.
const (
	// TagStack is "<namespace>/<ingress>" for an Ingress of its own, or the
	// group name for an IngressGroup.
	TagStack = "ingress.k8s.aws/stack"
	// TagResource names the resource within the stack, e.g.
	// "default/web-web:80" for a target group.
	TagResource = "ingress.k8s.aws/resource"
	// TagCluster is the cluster name.
	TagCluster = "elbv2.k8s.aws/cluster"
)

// LabRegion is the region used with an endpoint override when none is set.
const LabRegion = "lab-1"

// Options configures New.
type Options struct {
	// Region overrides the standard region resolution (AWS_REGION, profile).
	Region string `json:"region,omitempty"`
	// Profile selects a shared-config profile; empty uses AWS_PROFILE or default.
	Profile string `json:"profile,omitempty"`
	// Endpoint overrides the ELBv2 endpoint, e.g. the lab API
	// http://127.0.0.1:40001. With an endpoint, static dummy credentials
	// are used unless DefaultCredentials is set, and the region defaults
	// to LabRegion.
	Endpoint string `json:"endpoint,omitempty"`
	// DefaultCredentials keeps the standard credential chain even with an
	// Endpoint (for endpoints that check signatures).
	DefaultCredentials bool `json:"defaultCredentials,omitempty"`
}

// Client reads and tunes ELBv2 target groups.
type Client struct {
	api *sdk.Client
}

// New loads the AWS configuration the standard way and returns a client.
func New(ctx context.Context, o Options) (*Client, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Endpoint != "" && !o.DefaultCredentials {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("lab", "lab", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w (check AWS_PROFILE, AWS_REGION and ~/.aws/config)", err)
	}
	if cfg.Region == "" {
		if o.Endpoint == "" {
			return nil, errors.New("no AWS region: set AWS_REGION or the region in your AWS profile")
		}
		cfg.Region = LabRegion
	}
	return NewFromConfig(cfg, o.Endpoint), nil
}

// NewFromConfig returns a client for an already loaded configuration;
// endpoint, when not empty, overrides the ELBv2 endpoint.
func NewFromConfig(cfg aws.Config, endpoint string) *Client {
	return &Client{api: sdk.NewFromConfig(cfg, func(o *sdk.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// Region is the region the client talks to, as resolved when it was made.
func (c *Client) Region() string { return c.api.Options().Region }

// LoadBalancer describes a load balancer.
type LoadBalancer struct {
	ARN, Name, DNSName, Type, State string
}

// TargetGroup describes a target group.
type TargetGroup struct {
	ARN, Name  string
	TargetType string
	Port       int
	// LoadBalancers lists the ARNs of the load balancers routing to it.
	LoadBalancers []string
	HealthCheck   HealthCheck
	Tags          map[string]string
}

// HealthCheck is a target group's health-check configuration.
type HealthCheck struct {
	Path                                 string
	Port                                 string
	Interval, Timeout                    time.Duration
	HealthyThreshold, UnhealthyThreshold int
	Matcher                              string
}

// LoadBalancer returns the load balancer with that name or ARN.
func (c *Client) LoadBalancer(ctx context.Context, nameOrARN string) (LoadBalancer, error) {
	in := &sdk.DescribeLoadBalancersInput{}
	if isARN(nameOrARN) {
		in.LoadBalancerArns = []string{nameOrARN}
	} else {
		in.Names = []string{nameOrARN}
	}
	out, err := c.api.DescribeLoadBalancers(ctx, in)
	if err != nil {
		return LoadBalancer{}, fmt.Errorf("describe load balancer %s: %w", nameOrARN, err)
	}
	if len(out.LoadBalancers) == 0 {
		return LoadBalancer{}, fmt.Errorf("load balancer %s not found", nameOrARN)
	}
	lb := out.LoadBalancers[0]
	r := LoadBalancer{ARN: aws.ToString(lb.LoadBalancerArn), Name: aws.ToString(lb.LoadBalancerName), DNSName: aws.ToString(lb.DNSName), Type: string(lb.Type)}
	if lb.State != nil {
		r.State = string(lb.State.Code)
	}
	return r, nil
}

func isARN(s string) bool { return len(s) > 4 && s[:4] == "arn:" }

// TargetGroupsOf returns the target groups a load balancer routes to.
func (c *Client) TargetGroupsOf(ctx context.Context, lbARN string) ([]TargetGroup, error) {
	tgs, err := c.describeTargetGroups(ctx, &sdk.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil {
		return nil, fmt.Errorf("target groups of %s: %w", lbARN, err)
	}
	return tgs, c.addTags(ctx, tgs)
}

// TargetGroupsForIngress returns the target groups the AWS Load Balancer
// Controller made for an Ingress: those tagged ingress.k8s.aws/stack =
// "<namespace>/<name>", or = group when the Ingress is in an IngressGroup
// (group not empty).
func (c *Client) TargetGroupsForIngress(ctx context.Context, namespace, name, group string) ([]TargetGroup, error) {
	stack := namespace + "/" + name
	if group != "" {
		stack = group
	}
	tgs, err := c.FindTargetGroups(ctx, map[string]string{TagStack: stack})
	if err != nil {
		return nil, err
	}
	if len(tgs) == 0 {
		return nil, fmt.Errorf("no target group tagged %s=%s: is the Ingress reconciled by the AWS Load Balancer Controller (ingressClassName alb)?", TagStack, stack)
	}
	return tgs, nil
}

// FindTargetGroups returns every target group carrying all the given tags.
func (c *Client) FindTargetGroups(ctx context.Context, tags map[string]string) ([]TargetGroup, error) {
	all, err := c.describeTargetGroups(ctx, &sdk.DescribeTargetGroupsInput{})
	if err != nil {
		return nil, fmt.Errorf("list target groups: %w", err)
	}
	if err := c.addTags(ctx, all); err != nil {
		return nil, err
	}
	var out []TargetGroup
	for _, tg := range all {
		match := true
		for k, v := range tags {
			if tg.Tags[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, tg)
		}
	}
	return out, nil
}

// TargetGroup returns one target group by name or ARN, with its tags.
func (c *Client) TargetGroup(ctx context.Context, nameOrARN string) (TargetGroup, error) {
	in := &sdk.DescribeTargetGroupsInput{}
	if isARN(nameOrARN) {
		in.TargetGroupArns = []string{nameOrARN}
	} else {
		in.Names = []string{nameOrARN}
	}
	tgs, err := c.describeTargetGroups(ctx, in)
	if err != nil {
		return TargetGroup{}, fmt.Errorf("describe target group %s: %w", nameOrARN, err)
	}
	if len(tgs) == 0 {
		return TargetGroup{}, fmt.Errorf("target group %s not found", nameOrARN)
	}
	if err := c.addTags(ctx, tgs[:1]); err != nil {
		return TargetGroup{}, err
	}
	return tgs[0], nil
}

func (c *Client) describeTargetGroups(ctx context.Context, in *sdk.DescribeTargetGroupsInput) ([]TargetGroup, error) {
	var out []TargetGroup
	p := sdk.NewDescribeTargetGroupsPaginator(c.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.TargetGroups {
			out = append(out, fromSDK(g))
		}
	}
	return out, nil
}

func fromSDK(g types.TargetGroup) TargetGroup {
	tg := TargetGroup{
		ARN:           aws.ToString(g.TargetGroupArn),
		Name:          aws.ToString(g.TargetGroupName),
		TargetType:    string(g.TargetType),
		Port:          int(aws.ToInt32(g.Port)),
		LoadBalancers: g.LoadBalancerArns,
		HealthCheck: HealthCheck{
			Path:               aws.ToString(g.HealthCheckPath),
			Port:               aws.ToString(g.HealthCheckPort),
			Interval:           time.Duration(aws.ToInt32(g.HealthCheckIntervalSeconds)) * time.Second,
			Timeout:            time.Duration(aws.ToInt32(g.HealthCheckTimeoutSeconds)) * time.Second,
			HealthyThreshold:   int(aws.ToInt32(g.HealthyThresholdCount)),
			UnhealthyThreshold: int(aws.ToInt32(g.UnhealthyThresholdCount)),
		},
	}
	if g.Matcher != nil {
		tg.HealthCheck.Matcher = aws.ToString(g.Matcher.HttpCode)
	}
	return tg
}

// addTags fills Tags with DescribeTags, 20 resources per call (the API limit).
func (c *Client) addTags(ctx context.Context, tgs []TargetGroup) error {
	for start := 0; start < len(tgs); start += 20 {
		end := min(start+20, len(tgs))
		arns := make([]string, 0, end-start)
		for _, tg := range tgs[start:end] {
			arns = append(arns, tg.ARN)
		}
		out, err := c.api.DescribeTags(ctx, &sdk.DescribeTagsInput{ResourceArns: arns})
		if err != nil {
			return fmt.Errorf("describe tags: %w", err)
		}
		byARN := map[string]map[string]string{}
		for _, d := range out.TagDescriptions {
			m := map[string]string{}
			for _, t := range d.Tags {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			byARN[aws.ToString(d.ResourceArn)] = m
		}
		for i := start; i < end; i++ {
			tgs[i].Tags = byARN[tgs[i].ARN]
		}
	}
	return nil
}

// DeregistrationDelay reads a target group's deregistration delay.
func (c *Client) DeregistrationDelay(ctx context.Context, tgARN string) (time.Duration, error) {
	out, err := c.api.DescribeTargetGroupAttributes(ctx, &sdk.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tgARN)})
	if err != nil {
		return 0, fmt.Errorf("describe attributes of %s: %w", tgARN, err)
	}
	return delayFrom(out.Attributes, tgARN)
}

func delayFrom(attrs []types.TargetGroupAttribute, tgARN string) (time.Duration, error) {
	for _, a := range attrs {
		if aws.ToString(a.Key) == awslb.AttrDeregistrationDelay {
			n, err := strconv.Atoi(aws.ToString(a.Value))
			if err != nil {
				return 0, fmt.Errorf("target group %s: %s=%q is not a number", tgARN, awslb.AttrDeregistrationDelay, aws.ToString(a.Value))
			}
			return time.Duration(n) * time.Second, nil
		}
	}
	return 0, fmt.Errorf("target group %s has no %s attribute", tgARN, awslb.AttrDeregistrationDelay)
}

// SetDeregistrationDelay changes the delay (whole seconds, 0-3600) and
// returns the previous value, to hand to a later call that restores it.
func (c *Client) SetDeregistrationDelay(ctx context.Context, tgARN string, d time.Duration) (previous time.Duration, err error) {
	if d < 0 || d > time.Hour || d%time.Second != 0 {
		return 0, fmt.Errorf("deregistration delay %s: use whole seconds from 0 to 3600", d)
	}
	previous, err = c.DeregistrationDelay(ctx, tgARN)
	if err != nil {
		return 0, err
	}
	out, err := c.api.ModifyTargetGroupAttributes(ctx, &sdk.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(tgARN),
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String(awslb.AttrDeregistrationDelay), Value: aws.String(strconv.Itoa(int(d / time.Second)))}},
	})
	if err != nil {
		return previous, fmt.Errorf("set %s=%s on %s: %w", awslb.AttrDeregistrationDelay, d, tgARN, err)
	}
	now, err := delayFrom(out.Attributes, tgARN)
	if err != nil {
		return previous, err
	}
	if now != d {
		return previous, fmt.Errorf("set %s on %s: asked for %s, the API reports %s", awslb.AttrDeregistrationDelay, tgARN, d, now)
	}
	return previous, nil
}

// TargetHealth is one target's health.
type TargetHealth struct {
	ID          string `json:"id"`
	Port        int    `json:"port"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
}

// Key is "id:port", unique within a target group.
func (t TargetHealth) Key() string { return t.ID + ":" + strconv.Itoa(t.Port) }

// TargetHealthOf returns the health of every target of a group, sorted by key.
func (c *Client) TargetHealthOf(ctx context.Context, tgARN string) ([]TargetHealth, error) {
	out, err := c.api.DescribeTargetHealth(ctx, &sdk.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
	if err != nil {
		return nil, fmt.Errorf("describe target health of %s: %w", tgARN, err)
	}
	var r []TargetHealth
	for _, d := range out.TargetHealthDescriptions {
		var h TargetHealth
		if d.Target != nil {
			h.ID, h.Port = aws.ToString(d.Target.Id), int(aws.ToInt32(d.Target.Port))
		}
		if d.TargetHealth != nil {
			h.State, h.Reason, h.Description = string(d.TargetHealth.State), string(d.TargetHealth.Reason), aws.ToString(d.TargetHealth.Description)
		}
		r = append(r, h)
	}
	sort.Slice(r, func(i, j int) bool { return r[i].Key() < r[j].Key() })
	return r, nil
}
