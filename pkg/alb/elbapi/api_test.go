package elbapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
	"github.com/drillkit/drill/pkg/awslb"
)

func TestAPIErrors(t *testing.T) {
	f := dataplanetest.New(t, dataplane.Config{}, dataplane.TargetGroupConfig{})
	api, err := Serve(context.Background(), "127.0.0.1:0", f.LB)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"unknown action", url.Values{"Action": {"CreateLoadBalancer"}}, 400, []string{"<Code>InvalidAction</Code>", "<Type>Sender</Type>", "<RequestId>"}},
		{"unknown group", url.Values{"Action": {"DescribeTargetHealth"}, "TargetGroupArn": {"arn:aws:elasticloadbalancing:lab-1:0:targetgroup/x/1"}}, 400, []string{"<Code>TargetGroupNotFound</Code>"}},
		{"unsupported attribute", url.Values{"Action": {"ModifyTargetGroupAttributes"}, "TargetGroupArn": {f.TG.ARN()},
			"Attributes.member.1.Key": {"stickiness.enabled"}, "Attributes.member.1.Value": {"true"},
			"Attributes.member.2.Key": {awslb.AttrDeregistrationDelay}, "Attributes.member.2.Value": {"99999"}}, 400,
			[]string{"<Code>ValidationError</Code>", "stickiness.enabled=true is not supported", "0-3600"}},
		{"unchanged fixed attribute", url.Values{"Action": {"ModifyTargetGroupAttributes"}, "TargetGroupArn": {f.TG.ARN()},
			"Attributes.member.1.Key": {"stickiness.enabled"}, "Attributes.member.1.Value": {"false"}}, 200,
			[]string{"<ModifyTargetGroupAttributesResponse xmlns=\"" + apiXMLNS + "\"><ModifyTargetGroupAttributesResult><Attributes><member><Key>deregistration_delay.timeout_seconds</Key><Value>300</Value>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.PostForm(api.URL(), tt.form)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("response lacks %q:\n%s", w, b)
				}
			}
		})
	}
}
