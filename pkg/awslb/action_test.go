package awslb

import (
	"strings"
	"testing"
)

func TestParseActionReportsEveryProblem(t *testing.T) {
	ann := map[string]string{
		AnnActionPrefix + "bad":   `{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"a","weight":1000},{"targetGroupARN":"arn:x","servicePort":80}]}}`,
		AnnActionPrefix + "fixed": `{"type":"fixed-response","fixedResponseConfig":{"statusCode":"404"}}`,
		AnnActionPrefix + "json":  `{"type":`,
	}
	for name, wants := range map[string][]string{
		"bad":     {"targetGroups[0]: serviceName and servicePort are required", "targetGroups[0]: weight 1000", "targetGroups[1]: targetGroupARN is not supported"},
		"fixed":   {`type "fixed-response"`},
		"json":    {AnnActionPrefix + "json"},
		"missing": {"has no annotation " + AnnActionPrefix + "missing"},
	} {
		_, err := ParseAction(ann, name)
		for _, want := range wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("action %s: error %v, want it to mention %q", name, err, want)
			}
		}
	}
}
