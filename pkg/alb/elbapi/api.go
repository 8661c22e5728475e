package elbapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/awslb"
)

// The ELBv2 API version and XML namespace of the Query protocol.
const (
	apiVersion = "2015-12-01"
	apiXMLNS   = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// Handler serves the ELBv2 API subset for one load balancer over the AWS Query
// protocol: DescribeLoadBalancers, DescribeListeners, DescribeRules,
// DescribeTargetGroups, DescribeTargetHealth, DescribeTargetGroupAttributes,
// ModifyTargetGroupAttributes and DescribeTags. Requests are not authenticated (the listener is loopback
// only); any credentials are accepted.
type Handler struct {
	lb  *dataplane.LoadBalancer
	log *slog.Logger
}

// NewHandler returns the API handler for lb.
func NewHandler(lb *dataplane.LoadBalancer) *Handler {
	return &Handler{lb: lb, log: lb.Config().Logger}
}

// Server is a running API listener.
type Server struct {
	ln  net.Listener
	srv *http.Server
}

// Serve listens on a loopback address (e.g. 127.0.0.1:0) and serves the
// API until ctx ends or Close is called.
func Serve(ctx context.Context, listen string, lb *dataplane.LoadBalancer) (*Server, error) {
	if err := dataplane.CheckLoopback(listen); err != nil {
		return nil, fmt.Errorf("elbv2 api listen address: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("elbv2 api listen on %s: %w", listen, err)
	}
	s := &Server{ln: ln, srv: &http.Server{Handler: NewHandler(lb), ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(ln)
	go func() {
		<-ctx.Done()
		s.srv.Close()
	}()
	return s, nil
}

// URL is the endpoint to give the SDK (BaseEndpoint), e.g. http://127.0.0.1:40001.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the API listener.
func (s *Server) Close() error { return s.srv.Close() }

type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	if err := r.ParseForm(); err != nil {
		a.writeError(w, reqID, validationError("cannot parse the request: %v", err))
		return
	}
	f := r.Form
	action := f.Get("Action")
	var result any
	var err error
	switch action {
	case "DescribeLoadBalancers":
		result, err = a.describeLoadBalancers(f)
	case "DescribeListeners":
		result, err = a.describeListeners(f)
	case "DescribeRules":
		result, err = a.describeRules(f)
	case "DescribeTargetGroups":
		result, err = a.describeTargetGroups(f)
	case "DescribeTargetHealth":
		result, err = a.describeTargetHealth(f)
	case "DescribeTargetGroupAttributes":
		result, err = a.describeTargetGroupAttributes(f)
	case "ModifyTargetGroupAttributes":
		result, err = a.modifyTargetGroupAttributes(f)
	case "DescribeTags":
		result, err = a.describeTags(f)
	default:
		err = &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("the lab ELBv2 API does not serve action %q (it serves DescribeLoadBalancers, DescribeListeners, DescribeRules, DescribeTargetGroups, DescribeTargetHealth, DescribeTargetGroupAttributes, ModifyTargetGroupAttributes, DescribeTags)", action)}
	}
	if err != nil {
		a.writeError(w, reqID, err)
		return
	}
	type response struct {
		XMLName  xml.Name
		XMLNS    string `xml:"xmlns,attr"`
		Result   any
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}
	resp := response{XMLName: xml.Name{Local: action + "Response"}, XMLNS: apiXMLNS, Result: result}
	resp.Metadata.RequestID = reqID
	a.writeXML(w, http.StatusOK, resp)
}

func (a *Handler) writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(b)
}

func (a *Handler) writeError(w http.ResponseWriter, reqID string, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "InternalFailure", err.Error()}
	}
	typ := "Sender"
	if ae.status >= 500 {
		typ = "Receiver"
	}
	type errorResponse struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		XMLNS   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestID string `xml:"RequestId"`
	}
	er := errorResponse{XMLNS: apiXMLNS, RequestID: reqID}
	er.Error.Type, er.Error.Code, er.Error.Message = typ, ae.code, ae.message
	a.log.Debug("elbv2 api error", "code", ae.code, "message", ae.message)
	a.writeXML(w, ae.status, er)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// members returns the values of a Query-protocol list: Name.member.1, .2, ...
func members(f url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

type xmlMembers[T any] struct {
	Member []T `xml:"member"`
}

type xmlLoadBalancer struct {
	LoadBalancerArn       string
	DNSName               string
	CanonicalHostedZoneId string
	CreatedTime           string
	LoadBalancerName      string
	Scheme                string
	VpcId                 string
	State                 struct{ Code string }
	Type                  string
	IpAddressType         string
	AvailabilityZones     xmlMembers[xmlAZ]
}

type xmlAZ struct {
	ZoneName string
	SubnetId string
}

func (a *Handler) describeLoadBalancers(f url.Values) (any, error) {
	arns, names := members(f, "LoadBalancerArns"), members(f, "Names")
	lb := a.lb
	for _, arn := range arns {
		if arn != lb.ARN() {
			return nil, &apiError{http.StatusBadRequest, "LoadBalancerNotFound", fmt.Sprintf("load balancer %q not found", arn)}
		}
	}
	for _, n := range names {
		if n != lb.Name() {
			return nil, &apiError{http.StatusBadRequest, "LoadBalancerNotFound", fmt.Sprintf("load balancer %q not found", n)}
		}
	}
	x := xmlLoadBalancer{
		LoadBalancerArn:       lb.ARN(),
		DNSName:               lb.DNSName(),
		CanonicalHostedZoneId: "ZLAB00000000",
		CreatedTime:           lb.Created().Format(time.RFC3339),
		LoadBalancerName:      lb.Name(),
		Scheme:                "internal",
		VpcId:                 "vpc-lab",
		Type:                  "application",
		IpAddressType:         "ipv4",
	}
	x.State.Code = "active"
	x.AvailabilityZones.Member = []xmlAZ{{ZoneName: lb.Config().Region + "a", SubnetId: "subnet-lab"}}
	return struct {
		XMLName       xml.Name `xml:"DescribeLoadBalancersResult"`
		LoadBalancers xmlMembers[xmlLoadBalancer]
	}{LoadBalancers: xmlMembers[xmlLoadBalancer]{[]xmlLoadBalancer{x}}}, nil
}

type xmlTargetGroup struct {
	TargetGroupArn             string
	TargetGroupName            string
	Protocol                   string
	Port                       int
	VpcId                      string
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckEnabled         bool
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	HealthCheckPath            string
	Matcher                    struct{ HttpCode string }
	LoadBalancerArns           xmlMembers[string]
	TargetType                 string
	ProtocolVersion            string
	IpAddressType              string
}

// groupsUsed returns the target groups that listener rules point at.
func (a *Handler) groupsUsed() map[*dataplane.TargetGroup]bool {
	used := map[*dataplane.TargetGroup]bool{}
	for _, r := range a.lb.Rules() {
		if r.TargetGroup != nil {
			used[r.TargetGroup] = true
		}
		for _, w := range r.Forward {
			used[w.TargetGroup] = true
		}
	}
	return used
}

func (a *Handler) findGroup(arn string) (*dataplane.TargetGroup, error) {
	if arn == "" {
		return nil, validationError("TargetGroupArn is required")
	}
	for _, g := range a.lb.TargetGroups() {
		if g.ARN() == arn {
			return g, nil
		}
	}
	return nil, &apiError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("target group %q not found", arn)}
}

func (a *Handler) describeTargetGroups(f url.Values) (any, error) {
	lbArn := f.Get("LoadBalancerArn")
	arns, names := members(f, "TargetGroupArns"), members(f, "Names")
	if lbArn != "" && lbArn != a.lb.ARN() {
		return nil, &apiError{http.StatusBadRequest, "LoadBalancerNotFound", fmt.Sprintf("load balancer %q not found", lbArn)}
	}
	used := a.groupsUsed()
	all := a.lb.TargetGroups()
	var sel []*dataplane.TargetGroup
	switch {
	case len(arns) > 0 || len(names) > 0:
		for _, want := range append(arns, names...) {
			found := false
			for _, g := range all {
				if g.ARN() == want || g.Name() == want {
					sel = append(sel, g)
					found = true
				}
			}
			if !found {
				return nil, &apiError{http.StatusBadRequest, "TargetGroupNotFound", fmt.Sprintf("target group %q not found", want)}
			}
		}
	case lbArn != "":
		for _, g := range all {
			if used[g] {
				sel = append(sel, g)
			}
		}
	default:
		sel = all
	}
	var out []xmlTargetGroup
	for _, g := range sel {
		c := g.Config()
		x := xmlTargetGroup{
			TargetGroupArn:             g.ARN(),
			TargetGroupName:            c.Name,
			Protocol:                   "HTTP",
			Port:                       c.Port,
			VpcId:                      "vpc-lab",
			HealthCheckProtocol:        "HTTP",
			HealthCheckPort:            c.HealthCheck.Port,
			HealthCheckEnabled:         true,
			HealthCheckIntervalSeconds: seconds(c.HealthCheck.Interval),
			HealthCheckTimeoutSeconds:  seconds(c.HealthCheck.Timeout),
			HealthyThresholdCount:      c.HealthCheck.HealthyThreshold,
			UnhealthyThresholdCount:    c.HealthCheck.UnhealthyThreshold,
			HealthCheckPath:            c.HealthCheck.Path,
			TargetType:                 c.TargetType,
			ProtocolVersion:            "HTTP1",
			IpAddressType:              "ipv4",
		}
		x.Matcher.HttpCode = c.HealthCheck.Matcher
		if used[g] {
			x.LoadBalancerArns.Member = []string{a.lb.ARN()}
		}
		out = append(out, x)
	}
	return struct {
		XMLName      xml.Name `xml:"DescribeTargetGroupsResult"`
		TargetGroups xmlMembers[xmlTargetGroup]
	}{TargetGroups: xmlMembers[xmlTargetGroup]{out}}, nil
}

// seconds rounds up so sub-second test intervals are not reported as 0.
func seconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

type xmlTargetHealthDescription struct {
	Target struct {
		Id               string
		Port             int
		AvailabilityZone string `xml:",omitempty"`
	}
	HealthCheckPort string
	TargetHealth    struct {
		State       string
		Reason      string `xml:",omitempty"`
		Description string `xml:",omitempty"`
	}
}

func (a *Handler) describeTargetHealth(f url.Values) (any, error) {
	g, err := a.findGroup(f.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	type want struct{ id, port string }
	var wants []want
	for i := 1; ; i++ {
		p := "Targets.member." + strconv.Itoa(i)
		id, ok := f[p+".Id"]
		if !ok {
			break
		}
		wants = append(wants, want{id[0], f.Get(p + ".Port")})
	}
	c := g.Config()
	var out []xmlTargetHealthDescription
	health := g.Health()
	add := func(h dataplane.TargetHealth) {
		var x xmlTargetHealthDescription
		x.Target.Id, x.Target.Port = h.Target.ID, h.Target.Port
		x.HealthCheckPort = c.HealthCheck.Port
		if x.HealthCheckPort == "traffic-port" {
			x.HealthCheckPort = strconv.Itoa(h.Target.Port)
		}
		x.TargetHealth.State, x.TargetHealth.Reason, x.TargetHealth.Description = string(h.State), h.Reason, h.Description
		out = append(out, x)
	}
	if len(wants) == 0 {
		for _, h := range health {
			add(h)
		}
	}
	for _, w := range wants {
		found := false
		for _, h := range health {
			if h.Target.ID == w.id && (w.port == "" || strconv.Itoa(h.Target.Port) == w.port) {
				add(h)
				found = true
			}
		}
		if !found {
			var x xmlTargetHealthDescription
			x.Target.Id = w.id
			x.Target.Port, _ = strconv.Atoi(w.port)
			x.TargetHealth.State, x.TargetHealth.Reason, x.TargetHealth.Description = "unused", "Target.NotRegistered", "Target is not registered to the target group"
			out = append(out, x)
		}
	}
	return struct {
		XMLName                  xml.Name `xml:"DescribeTargetHealthResult"`
		TargetHealthDescriptions xmlMembers[xmlTargetHealthDescription]
	}{TargetHealthDescriptions: xmlMembers[xmlTargetHealthDescription]{out}}, nil
}

type xmlAttribute struct {
	Key   string
	Value string
}

func attributes(g *dataplane.TargetGroup) []xmlAttribute {
	var out []xmlAttribute
	for _, a := range g.Attributes() {
		out = append(out, xmlAttribute(a))
	}
	return out
}

func (a *Handler) describeTargetGroupAttributes(f url.Values) (any, error) {
	g, err := a.findGroup(f.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	return struct {
		XMLName    xml.Name `xml:"DescribeTargetGroupAttributesResult"`
		Attributes xmlMembers[xmlAttribute]
	}{Attributes: xmlMembers[xmlAttribute]{attributes(g)}}, nil
}

func (a *Handler) modifyTargetGroupAttributes(f url.Values) (any, error) {
	g, err := a.findGroup(f.Get("TargetGroupArn"))
	if err != nil {
		return nil, err
	}
	var delay *time.Duration
	var problems []string
	for i := 1; ; i++ {
		p := "Attributes.member." + strconv.Itoa(i)
		k, ok := f[p+".Key"]
		if !ok {
			break
		}
		v := f.Get(p + ".Value")
		switch key := k[0]; key {
		case awslb.AttrDeregistrationDelay:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 3600 {
				problems = append(problems, fmt.Sprintf("%s %q: use 0-3600", key, v))
				continue
			}
			d := time.Duration(n) * time.Second
			delay = &d
		default:
			if !dataplane.IsFixedAttribute(key, v) {
				problems = append(problems, fmt.Sprintf("attribute %s=%s is not supported by the lab ALB (only %s can change)", key, v, awslb.AttrDeregistrationDelay))
			}
		}
	}
	if len(problems) > 0 {
		return nil, validationError("%s", strings.Join(problems, "; "))
	}
	if delay != nil {
		if err := g.SetDeregistrationDelay(*delay); err != nil {
			return nil, validationError("%v", err)
		}
	}
	return struct {
		XMLName    xml.Name `xml:"ModifyTargetGroupAttributesResult"`
		Attributes xmlMembers[xmlAttribute]
	}{Attributes: xmlMembers[xmlAttribute]{attributes(g)}}, nil
}

type xmlTagDescription struct {
	ResourceArn string
	Tags        xmlMembers[xmlAttribute]
}

func (a *Handler) describeTags(f url.Values) (any, error) {
	arns := members(f, "ResourceArns")
	if len(arns) == 0 {
		return nil, validationError("ResourceArns is required")
	}
	var out []xmlTagDescription
	for _, arn := range arns {
		var tags map[string]string
		if arn == a.lb.ARN() {
			tags = a.lb.Config().Tags
		} else {
			g, err := a.findGroup(arn)
			if err != nil {
				return nil, err
			}
			tags = g.Config().Tags
		}
		d := xmlTagDescription{ResourceArn: arn}
		keys := make([]string, 0, len(tags))
		for k := range tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.Tags.Member = append(d.Tags.Member, xmlAttribute{k, tags[k]})
		}
		out = append(out, d)
	}
	return struct {
		XMLName         xml.Name `xml:"DescribeTagsResult"`
		TagDescriptions xmlMembers[xmlTagDescription]
	}{TagDescriptions: xmlMembers[xmlTagDescription]{out}}, nil
}
