package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/agent"
)

func TestAgentCmd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout func(t *testing.T, out string)
		stderr string
	}{
		{"once prints the state", []string{"--once", "--node", "n1", "--parts", "kubeproxy", "--kube-proxy-metrics", "off"}, 0, func(t *testing.T, out string) {
			var st agent.State
			if err := json.Unmarshal([]byte(out), &st); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if st.Node != "n1" || st.KubeProxy.Available || !strings.Contains(st.KubeProxy.Reason, "off") || st.Conntrack.Reason != "not requested" {
				t.Errorf("state %+v", st)
			}
		}, ""},
		{"unknown part", []string{"--once", "--parts", "conntrak"}, 2, nil, "unknown part(s) conntrak"},
		{"stray argument", []string{"serve"}, 2, nil, `unexpected argument "serve"`},
		{"help", []string{"-h"}, 0, nil, "hostNetwork DaemonSet"},
		{"bad listen address", []string{"--listen", "256.0.0.1:1"}, 1, nil, "pick a free address with --listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := dispatch(context.Background(), nil, append([]string{"agent"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if tc.stdout != nil {
				tc.stdout(t, stdout.String())
			}
			// Help goes to stdout, problems to stderr.
			if all := stdout.String() + stderr.String(); !strings.Contains(all, tc.stderr) {
				t.Errorf("output %q does not say %q", all, tc.stderr)
			}
		})
	}
}
