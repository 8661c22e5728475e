package scenario

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// want is one expected problem.
type want struct {
	line, col int
	path      string
	msg       string // substring of the message
}

func TestParseReportsEveryProblem(t *testing.T) {
	data, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wants := []want{
		{1, 13, "apiVersion", `unsupported apiVersion "drill/v2"`},
		{4, 9, "metadata.name", `"Bad_Name" is not a valid name`},
		{5, 3, "metadata.descripton", `unknown field "descripton"; did you mean "description"?`},
		{7, 8, "target.url", `must be an http:// or https:// URL`},
		{8, 3, "target.lab", "target has both url and lab"},
		{8, 16, "target.lab.nodes", "11 is above the maximum 10"},
		{8, 31, "target.lab.proxyMode", `"ipvss" is not one of iptables, nftables, ipvs; did you mean "ipvs"?`},
		{9, 1, "setup", "setup needs a lab or kube target"},
		{11, 9, "load.rate", `rate "300" has no unit: write requests per unit of time, e.g. 300/s`},
		{12, 13, "load.duration", "duration 3 has no unit"},
		{13, 3, "load.phases", "rate and phases are both given"},
		{14, 23, "load.phases[0].rate", "rate cannot be combined with from/to"},
		{15, 12, "load.workers", "expected a whole number, got a string"},
		{16, 14, "load.keepAlive", "expected true or false"},
		{18, 16, "load.requests[0].method", "methods are case-sensitive: write GET"},
		{18, 27, "load.requests[0].path", `path "api" must start with '/'`},
		{18, 32, "load.requests[0].url", "path and url are both given"},
		{18, 64, "load.requests[0].weight", "0 is below the minimum 1"},
		{19, 1, "faults", "faults need a lab or kube target"},
		{20, 9, "faults[0].at", "at 5m is not before the end of the load (30s)"},
		{22, 5, "faults[0].scale", "also has rollingUpdate: write one fault item per action"},
		{23, 5, "faults[1].at", `missing required field "at"`},
		{24, 1, "sample", "sampling needs a lab or kube target"},
		{24, 20, "sample.interval", "below the minimum of 100ms"},
		{24, 45, "sample.nodes[1]", `"contrack" is not one of conntrack, conntrackStates, iptables, nftables, ipvs; did you mean "conntrack"?`},
		{26, 21, "checks[0]", `success_rate is a ratio: threshold "300ms" has unit "ms"`},
		{27, 6, "checks[1]", `unknown metric "p98"; did you mean "p90"?`},
		{29, 5, "abortWhen[0]", "p95 cannot be used in an abort condition"},
	}
	_, err = ParseWith("bad.yaml", data, Options{Faults: testFaults})
	checkErrors(t, err, wants)
}

// checkErrors asserts that err is an Errors holding exactly wants, in order.
func checkErrors(t *testing.T, err error, wants []want) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error = %v (%T), want Errors", err, err)
	}
	for i := 0; i < len(errs) || i < len(wants); i++ {
		switch {
		case i >= len(errs):
			t.Errorf("missing error %d: %d:%d %s: %s", i, wants[i].line, wants[i].col, wants[i].path, wants[i].msg)
		case i >= len(wants):
			t.Errorf("unexpected error %d: %v", i, errs[i])
		default:
			e, w := errs[i], wants[i]
			if e.Line != w.line || e.Col != w.col || e.Path != w.path || !strings.Contains(e.Msg, w.msg) {
				t.Errorf("error %d = %v\nwant %d:%d: %s: ...%s...", i, e, w.line, w.col, w.path, w.msg)
			}
		}
	}
}

const head = "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: t}\n"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []want
	}{
		{"empty file", "", []want{{1, 1, "", "the file is empty"}}},
		{"comment only", "# nothing\n", []want{{1, 1, "", "the file is empty"}}},
		{"null document", "~\n", []want{{1, 1, "", "the document is empty"}}},
		{"not a mapping", "- a\n- b\n", []want{{1, 1, "", "expected a mapping (field: value) with fields apiVersion, kind"}}},
		{"syntax error", "apiVersion: drill/v1\nkind: [\n", []want{{2, 0, "", "invalid YAML: did not find expected node content"}}},
		{"tab indentation", "apiVersion: drill/v1\nkind: Scenario\nmetadata:\n\tname: t\n", []want{{4, 1, "", "invalid YAML: a tab in the indentation: YAML indents with spaces only"}}},
		{"tab after spaces", head + "load:\n  rate: 1/s\n \tduration: 1s\n", []want{{6, 2, "", "a tab in the indentation"}}},
		{"timeouts with a url target", head + "target: {url: http://127.0.0.1}\nload: {rate: 1/s, duration: 1s}\ntimeouts: {setup: 1m}\n", []want{{6, 1, "timeouts", "a url target has none of"}}},
		{"timeouts bounds", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1s}\ntimeouts: {setup: 0s, delete: 2h}\n", []want{
			{6, 19, "timeouts.setup", "setup must be above zero"},
			{6, 31, "timeouts.delete", "delete 2h is above the bound of 1h: check for a typo"},
		}},
		{"two documents", head + "load: {rate: 1/s, duration: 1s}\n---\nkind: x\n", []want{{5, 1, "", "a second YAML document"}}},
		{"missing required", "kind: Scenario\nmetadata: {}\n", []want{
			{1, 1, "apiVersion", `missing required field "apiVersion"`},
			{1, 1, "load", `missing required field "load"`},
			{2, 11, "metadata.name", `missing required field "name"`},
		}},
		{"wrong kind", "apiVersion: drill/v1\nkind: Deployment\nmetadata: {name: t}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{2, 7, "kind", "kind must be Scenario"},
		}},
		{"duplicate field", head + "load: {rate: 1/s, duration: 1s, rate: 2/s}\n", []want{
			{4, 33, "load.rate", "field given twice (first at line 4)"},
		}},
		{"no rate", head + "load: {workers: 2}\n", []want{{4, 1, "load", "missing the load's rate"}}},
		{"rate without duration", head + "load: {rate: 10/s}\n", []want{{4, 8, "load.rate", "rate needs a duration"}}},
		{"duration without rate", head + "load: {duration: 10s}\n", []want{{4, 8, "load.duration", "duration needs a rate"}}},
		{"duration with phases", head + "load: {duration: 10s, phases: [{duration: 1s, rate: 1/s}]}\n", []want{{4, 8, "load.duration", "cannot be combined with phases"}}},
		{"zero rate", head + "load: {rate: 0/s, duration: 10s}\n", []want{{4, 14, "load.rate", "rate must be above zero"}}},
		{"fractional rate", head + "load: {rate: 0.5/s, duration: 10s}\n", []want{{4, 14, "load.rate", "e.g. 5/10s"}}},
		{"bad rate period", head + "load: {rate: 5/fortnight, duration: 10s}\n", []want{{4, 14, "load.rate", `period "fortnight"`}}},
		{"bad duration", head + "load: {rate: 5/s, duration: 10 seconds}\n", []want{{4, 29, "load.duration", `"10 seconds" is not a duration`}}},
		{"empty phases", head + "load: {phases: []}\n", []want{{4, 16, "load.phases", "phases is empty"}}},
		{"phase without rate", head + "load: {phases: [{duration: 1s}]}\n", []want{{4, 17, "load.phases[0]", "missing the phase's rate"}}},
		{"phase ramp half", head + "load:\n  phases:\n    - duration: 1s\n      to: 5/s\n", []want{{7, 7, "load.phases[0].to", "needs both from and to: add from"}}},
		{"phase missing duration", head + "load: {phases: [{rate: 1/s}]}\n", []want{{4, 17, "load.phases[0].duration", `missing required field "duration"`}}},
		{"ramp zero to zero", head + "load: {phases: [{duration: 1s, from: 0/s, to: 0/s}]}\n", []want{{4, 32, "load.phases[0].from", "from 0 to 0"}}},
		{"max workers", head + "load: {rate: 1/s, duration: 1s, workers: 5, maxWorkers: 2}\n", []want{{4, 45, "load.maxWorkers", "below workers 5"}}},
		{"abort grace too short", head + "load: {rate: 1/s, duration: 1s}\nabortGrace: 10ms\n", []want{{5, 13, "abortGrace", "below the minimum of 100ms"}}},
		{"zero timeout", head + "load: {rate: 1/s, duration: 1s, timeout: 0s}\n", []want{{4, 42, "load.timeout", "timeout must be above zero"}}},
		{"h2c https", head + "target: {url: https://127.0.0.1}\nload: {rate: 1/s, duration: 1s, h2c: true}\n", []want{{5, 33, "load.h2c", "use http2 instead"}}},
		{"bad header", head + "load: {rate: 1/s, duration: 1s, headers: {\"Bad Header\": x, Ok: 5}}\n", []want{
			{4, 43, "load.headers.Bad Header", "not a valid header name"},
			{4, 64, "load.headers.Ok", `expected a string, got a number (5): quote it ("5")`},
		}},
		{"empty requests", head + "load: {rate: 1/s, duration: 1s, requests: []}\n", []want{{4, 43, "load.requests", "requests is empty"}}},
		{"duplicate request names", head + "load: {rate: 1/s, duration: 1s, requests: [{path: /a}, {name: GET /a}]}\n", []want{
			{4, 56, "load.requests[1]", `request name "GET /a" is also used by load.requests[0]`},
		}},
		{"two targets", head + "target: {lab: {}, kube: {url: http://127.0.0.1}}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{4, 19, "target.kube", "target has both lab and kube"},
		}},
		{"kube needs url", head + "target: {kube: {namespace: Bad}}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{4, 16, "target.kube.url", `missing required field "url"`},
			{4, 28, "target.kube.namespace", `"Bad" is not a valid name`},
		}},
		{"existing lab with settings", head + "target: {lab: {name: shared, nodes: 2}}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{4, 30, "target.lab.nodes", "nodes cannot be set together with name"},
		}},
		{"host conntrack max too small", head + "target: {lab: {hostConntrackMax: 100}}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{4, 34, "target.lab.hostConntrackMax", "100 is too small for the host to keep working"},
		}},
		{"host conntrack max on an existing lab", head + "target: {lab: {name: shared, hostConntrackMax: 4096}}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{4, 30, "target.lab.hostConntrackMax", "hostConntrackMax cannot be set together with name"},
		}},
		{"conntrack timeouts out of range", head + "target: {lab: {conntrackTimeouts: {tcpTimeWait: 0s, udp: 2147484s, tcpCloseWait: 1500ms}}}\nload: {rate: 1/s, duration: 1s}\nmatrix:\n  target.lab.conntrackTimeouts.tcpEstablished: [86400s, -1s]\n", []want{
			{4, 49, "target.lab.conntrackTimeouts.tcpTimeWait", "0s is outside what the kernel accepts: use 1s to 2147483s"},
			{4, 58, "target.lab.conntrackTimeouts.udp", "2147484s is outside what the kernel accepts"},
			{4, 82, "target.lab.conntrackTimeouts.tcpCloseWait", "the kernel takes whole seconds"},
			{7, 57, "matrix.target.lab.conntrackTimeouts.tcpEstablished[1]", `"-1s": use a duration in whole seconds from 1s to 2147483s`},
		}},
		{"conntrack timeouts on an existing lab", head + "target: {lab: {name: shared, conntrackTimeouts: {udp: 10s}}}\nload: {rate: 1/s, duration: 1s}\n", []want{
			{4, 30, "target.lab.conntrackTimeouts", "conntrackTimeouts cannot be set together with name"},
		}},
		{"matrix problems", head + "target: {lab: {proxyMode: ipvs}}\nload: {rate: 1/s, duration: 1s}\nmatrix:\n  target.lab.proxyMode: [ipvs]\n  setup.preStopSleep: [1.5s, 0s, 0s]\n  proxyMode: [x]\n  target.lab.nodes: []\n", []want{
			{7, 3, "matrix.target.lab.proxyMode", "target.lab.proxyMode is also set in the target"},
			{8, 3, "matrix.setup.preStopSleep", "the scenario has no setup"},
			{8, 24, "matrix.setup.preStopSleep[0]", `"1.5s": use a duration in whole seconds`},
			{8, 34, "matrix.setup.preStopSleep[2]", "0s listed twice"},
			{9, 3, "matrix.proxyMode", `unknown field "proxyMode"`},
			{10, 21, "matrix.target.lab.nodes", "the list is empty"},
		}},
		{"matrix too big", head + "target: {lab: {}}\nsetup: [m.yaml]\nload: {rate: 1/s, duration: 1s}\nmatrix:\n  target.lab.nodes: [1, 2, 3, 4, 5]\n  setup.preStopSleep: [0s, 5s, 10s, 15s]\n", []want{
			{7, 1, "matrix", "20 combinations: at most 16"},
		}},
		{"repeat out of range", head + "load: {rate: 1/s, duration: 1s}\nrepeat: 0\n", []want{{5, 9, "repeat", "0 is below the minimum 1"}}},
		{"repeat too high", head + "load: {rate: 1/s, duration: 1s}\nrepeat: 21\n", []want{{5, 9, "repeat", "21 is above the maximum 20"}}},
		{"repeat not a number", head + "load: {rate: 1/s, duration: 1s}\nrepeat: three\n", []want{{5, 9, "repeat", "expected a whole number"}}},
		{"repeat times matrix too many", head + "target: {lab: {}}\nsetup: [m.yaml]\nload: {rate: 1/s, duration: 1s}\nmatrix:\n  target.lab.nodes: [1, 2, 3, 4]\nrepeat: 20\n", []want{
			{9, 9, "repeat", "4 combinations repeated 20 times are 80 runs: at most 64"},
		}},
		{"fault not a mapping", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1m}\nfaults: [podKill]\n", []want{
			{6, 10, "faults[0]", "expected a mapping with at and one action"},
		}},
		{"fault unknown key", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1m}\nfaults: [{at: 1s, podkill: {}}]\n", []want{
			{6, 10, "faults[0]", "missing action"},
			{6, 19, "faults[0].podkill", `did you mean "podKill"?`},
		}},
		{"fault body scalar", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1m}\nfaults: [{at: 1s, podKill: web}]\n", []want{
			{6, 28, "faults[0].podKill", "expected a mapping with the podKill parameters"},
		}},
		{"abort longer than run", head + "load: {rate: 1/s, duration: 5s}\nabortWhen: [error_rate > 1% for 10s]\n", []want{
			{5, 13, "abortWhen[0]", "longer than the load (5s)"},
		}},
		{"check column in quotes", head + "load: {rate: 1/s, duration: 5s}\nchecks:\n  - 'p99 < 99%'\n", []want{
			{6, 12, "checks[0]", "p99 is a duration"},
		}},
		{"relative check with ==", head + "load: {rate: 1/s, duration: 5s}\nchecks:\n  - p99 == +10%\n", []want{
			{6, 12, "checks[0]", "needs < <= > or >="},
		}},
		{"relative abort", head + "load: {rate: 1/s, duration: 5s}\nabortWhen:\n  - error_rate > +10% for 1s\n", []want{
			{6, 5, "abortWhen[0]", "relative to the baseline"},
		}},
		{"check not a string", head + "load: {rate: 1/s, duration: 5s}\nchecks: [{p99: 1s}]\n", []want{
			{5, 10, "checks[0]", "expected a string, got a mapping"},
		}},
		{"duplicate sample node", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 5s}\nsample: {nodes: [ipvs, ipvs]}\n", []want{
			{6, 24, "sample.nodes[1]", "ipvs listed twice"},
		}},
		{"string where list", head + "load: {rate: 1/s, duration: 5s}\ntarget: {lab: {}}\nsetup: manifests/a.yaml\n", []want{
			{6, 8, "setup", "expected a list, got a string"},
		}},
		{"headers not a map", head + "load: {rate: 1/s, duration: 1s, headers: [a]}\n", []want{{4, 42, "load.headers", "expected a mapping (name: value), got a list"}}},
		{"duplicate header", head + "load: {rate: 1/s, duration: 1s, headers: {A: x, A: y}}\n", []want{{4, 49, "load.headers.A", "key given twice"}}},
		{"header line break", head + "load: {rate: 1/s, duration: 1s, headers: {A: \"x\\ny\"}}\n", []want{{4, 46, "load.headers.A", "line breaks"}}},
		{"negative duration", head + "load: {rate: 1/s, duration: -1s}\n", []want{{4, 29, "load.duration", "negative"}}},
		{"zero phase duration", head + "load: {phases: [{duration: 0s, rate: 1/s}]}\n", []want{{4, 28, "load.phases[0].duration", "above zero"}}},
		{"url not parseable", head + "target: {url: \"http://[::1\"}\nload: {rate: 1/s, duration: 1s}\n", []want{{4, 15, "target.url", "is not a URL"}}},
		{"url without host", head + "target: {url: \"http:///x\"}\nload: {rate: 1/s, duration: 1s}\n", []want{{4, 15, "target.url", "has no host"}}},
		{"fault at twice", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1m}\nfaults: [{at: 1s, at: 2s, scale: {}}]\n", []want{
			{6, 19, "faults[0].at", "field given twice"},
		}},
		{"fault null body", head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1m}\nfaults: [{at: 1s, podKill: }]\n", nil},
		{"bool where object", head + "load: {rate: 1/s, duration: 1s}\nsample: true\n", []want{{5, 9, "sample", "expected a mapping (field: value) with fields interval, nodes, loadBalancer; got a boolean (true)"}}},
		{"not a method", head + "load: {rate: 1/s, duration: 1s, requests: [{method: \"G T\"}]}\n", []want{{4, 53, "load.requests[0].method", "is not an HTTP method"}}},
		{"request url scheme", head + "load: {rate: 1/s, duration: 1s, requests: [{url: \"ftp://x\"}]}\n", []want{{4, 50, "load.requests[0].url", "http:// or https://"}}},
		{"alias expansion bounded", head + bomb(), []want{
			{7, 9076, "load.requests[48].headers", "expands to more than 100000 nodes"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseWith("t.yaml", []byte(tt.yaml), Options{Faults: testFaults})
			if tt.want == nil {
				if err != nil || s == nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if s != nil {
				t.Errorf("Parse returned a scenario along with errors")
			}
			checkErrors(t, err, tt.want)
		})
	}
}

// bomb returns a load whose requests all alias one large header map, so
// that decoding them would visit over a million nodes.
func bomb() string {
	var b strings.Builder
	b.WriteString("load:\n  rate: 1/s\n  duration: 1s\n  headers: &h {")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "X-%d: v", i)
	}
	b.WriteString("}\n  requests: [")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{headers: *h}")
	}
	b.WriteString("]\n")
	return b.String()
}

func TestParseDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte(head+"load: {rate: 50/s, duration: 1m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{
		File:       "min.yaml",
		APIVersion: "drill/v1",
		Kind:       "Scenario",
		Metadata:   Metadata{Name: "t"},
		Target:     Target{Lab: &Lab{Nodes: 3, ProxyMode: "iptables"}},
		Load: LoadSpec{
			Rate:          Rate{50, time.Second},
			Duration:      time.Minute,
			Phases:        []Phase{{Duration: time.Minute, Rate: Rate{50, time.Second}, From: Rate{50, time.Second}, To: Rate{50, time.Second}}},
			Workers:       10,
			Connections:   10000,
			KeepAlive:     true,
			Timeout:       30 * time.Second,
			MaxBody:       4096,
			BackendHeader: "X-Drill-Backend",
			Requests:      []Request{{Name: "GET /", Method: "GET", Weight: 1}},
		},
		Sample:     Sample{Interval: time.Second, Nodes: []string{"conntrack"}},
		AbortGrace: 2 * time.Second,
		Timeouts:   Timeouts{Setup: 5 * time.Minute, Delete: 2 * time.Minute, Recover: 5 * time.Minute},
		Repeat:     1,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", s, want)
	}
	if s.Target.Kind() != TargetLab || s.TotalDuration() != time.Minute {
		t.Errorf("Kind %s TotalDuration %s", s.Target.Kind(), s.TotalDuration())
	}

	t.Run("explicit empty backend header and null lab", func(t *testing.T) {
		s, err := Parse("t.yaml", []byte(head+"target: {lab: }\nload: {rate: 1/s, duration: 1s, backendHeader: \"\", keepAlive: false}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Load.BackendHeader != "" || s.Load.KeepAlive || s.Target.Lab == nil || s.Target.Lab.Nodes != 3 {
			t.Errorf("got %+v, lab %+v", s.Load, s.Target.Lab)
		}
	})
}

func TestParseFull(t *testing.T) {
	s, err := Parse("testdata/full.yaml", mustRead(t, "testdata/full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Target.Kind() != TargetKube || s.Target.Kube.Context != "staging" || s.Target.Kube.Namespace != "shop" {
		t.Errorf("target = %+v", s.Target.Kube)
	}
	wantPhases := []Phase{
		{Duration: 30 * time.Second, From: Rate{10, time.Second}, To: Rate{300, time.Second}},
		{Duration: time.Minute, Rate: Rate{300, time.Second}, From: Rate{300, time.Second}, To: Rate{300, time.Second}},
		{Duration: 30 * time.Second, Rate: Rate{1000, 10 * time.Second}, From: Rate{1000, 10 * time.Second}, To: Rate{1000, 10 * time.Second}},
	}
	if !reflect.DeepEqual(s.Load.Phases, wantPhases) {
		t.Errorf("phases = %+v", s.Load.Phases)
	}
	if !s.Load.Phases[0].Ramp() || s.Load.Phases[1].Ramp() {
		t.Errorf("Ramp() wrong")
	}
	if s.TotalDuration() != 2*time.Minute {
		t.Errorf("TotalDuration = %s", s.TotalDuration())
	}
	wantReq := []Request{
		{Name: "home", Method: "GET", Path: "/", Weight: 9},
		{Name: "POST /cart", Method: "POST", Path: "/cart", Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"sku": 1}`, Weight: 1},
	}
	if !reflect.DeepEqual(s.Load.Requests, wantReq) {
		t.Errorf("requests = %+v", s.Load.Requests)
	}
	if s.Load.Headers["Authorization"] != "Bearer x" || !s.Load.HTTP2 || s.Load.MaxWorkers != 200 {
		t.Errorf("load = %+v", s.Load)
	}
	if len(s.Faults) != 2 || s.Faults[0].Action != "rollingUpdate" || s.Faults[0].At != 30*time.Second ||
		s.Faults[1].Action != "selectorSwitch" || s.Faults[1].Line != 38 || s.Faults[1].Col != 5 {
		t.Errorf("faults = %+v", s.Faults)
	}
	var spec struct{ Deployment string }
	if err := s.Faults[0].Spec.Decode(&spec); err != nil || spec.Deployment != "web" {
		t.Errorf("fault spec = %+v, %v", spec, err)
	}
	if got := s.SetupFiles(); !reflect.DeepEqual(got, []string{filepath.Join("testdata", "manifests", "web.yaml")}) {
		t.Errorf("SetupFiles = %v", got)
	}
	if !reflect.DeepEqual(s.Sample, Sample{Interval: 2 * time.Second, Nodes: []string{"conntrack", "iptables"}, LoadBalancer: true}) {
		t.Errorf("sample = %+v", s.Sample)
	}
	if len(s.Checks) != 3 || s.Checks[0].Expr.Metric != "success_rate" || math.Abs(s.Checks[0].Expr.Threshold-0.999) > 1e-12 ||
		s.Checks[2].Line != 48 || s.Checks[2].Col != 5 {
		t.Errorf("checks = %+v", s.Checks)
	}
	if a := s.Aborts(); len(a) != 1 || a[0].For != 10*time.Second || a[0].Expr.Metric != "error_rate" {
		t.Errorf("aborts = %+v", a)
	}
	if e := s.Exprs(); len(e) != 3 || e[1].Source != "p99 < 500ms" {
		t.Errorf("exprs = %+v", e)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoad(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
		if err == nil || !strings.Contains(err.Error(), "does not exist: check the path") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("full with setup manifest", func(t *testing.T) {
		if _, err := Load("testdata/full.yaml"); err != nil {
			t.Error(err)
		}
	})
	t.Run("missing manifest", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "s.yaml")
		data := head + "load: {rate: 1/s, duration: 1s}\nsetup:\n  - gone.yaml\n"
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		checkErrors(t, err, []want{{6, 5, "setup[0]", "gone.yaml: no such file or directory"}})
		if !strings.HasPrefix(err.Error(), p+":6:5: setup[0]: manifest ") {
			t.Errorf("formatted = %q", err.Error())
		}
	})
	t.Run("image archives", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "app.tar"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		write := func(lab string) string {
			p := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(p, []byte(head+"load: {rate: 1/s, duration: 1s}\ntarget:\n  lab: "+lab+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		s, err := Load(write("{images: [app.tar]}"))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.ImageFiles(); !reflect.DeepEqual(got, []string{filepath.Join(dir, "app.tar")}) {
			t.Errorf("ImageFiles = %v", got)
		}
		_, err = Load(write("{images: [app.tar, gone.tar, \"\"]}"))
		checkErrors(t, err, []want{
			{6, 27, "target.lab.images[1]", "gone.tar: no such file or directory"},
			{6, 37, "target.lab.images[2]", "empty image archive path"},
		})
		if _, err := Load(write("{name: mine, images: [app.tar]}")); err != nil {
			t.Errorf("a named lab may get images: %v", err)
		}
	})
}

// TestExamples parses every scenario shipped in scenarios/.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if s.Metadata.Name+".yaml" != filepath.Base(f) {
				t.Errorf("metadata.name %q does not match the file name", s.Metadata.Name)
			}
		})
	}
	s, err := Load("../../scenarios/echo-steady.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Target.URL != "http://127.0.0.1:18080" || s.Load.Rate != (Rate{200, time.Second}) || s.TotalDuration() != 20*time.Second ||
		len(s.Checks) != 2 || s.Checks[0].Expr.Source != "success_rate >= 99.9%" || s.Checks[1].Expr.Source != "p99 < 500ms" {
		t.Errorf("echo-steady = %+v", s)
	}
}

func TestErrorsFormat(t *testing.T) {
	es := Errors{
		{File: "a.yaml", Line: 3, Col: 5, Path: "load.rate", Msg: "bad"},
		{File: "a.yaml", Line: 1, Col: 0, Msg: "invalid YAML: x"},
	}
	es.sort()
	if got, want := es.Error(), "a.yaml:1: invalid YAML: x\na.yaml:3:5: load.rate: bad"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		in   string
		want Rate
		str  string
		per  float64
	}{
		{"300/s", Rate{300, time.Second}, "300/s", 300},
		{"5/ms", Rate{5, time.Millisecond}, "5/ms", 5000},
		{"100/1s", Rate{100, time.Second}, "100/s", 100},
		{"1000/10s", Rate{1000, 10 * time.Second}, "1000/10s", 100},
		{"60/m", Rate{60, time.Minute}, "60/m", 1},
		{"3600/h", Rate{3600, time.Hour}, "3600/h", 1},
		{" 7 / s", Rate{7, time.Second}, "7/s", 7},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRate(tt.in)
			if err != nil || r != tt.want || r.String() != tt.str || r.PerSecond() != tt.per {
				t.Errorf("ParseRate(%q) = %+v %q %v, %v", tt.in, r, r.String(), r.PerSecond(), err)
			}
		})
	}
	for _, bad := range []string{"", "300", "x/s", "-1/s", "1/0s", "1/-1s", "1/fortnight", "1.5/s"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestMatrixVariants(t *testing.T) {
	sc, err := Parse("m.yaml", []byte(head+"target: {lab: {nodes: 2}}\nsetup: [m.yaml]\nload: {rate: 1/s, duration: 1s}\n"+
		"matrix:\n  target.lab.proxyMode: [iptables, ipvs]\n  setup.preStopSleep: [0s, 15000ms]\n  setup.terminationGracePeriodSeconds: [45]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, v := range sc.Matrix.Variants() {
		labels = append(labels, v.Label)
	}
	want := []string{
		"proxyMode=iptables preStopSleep=0s terminationGracePeriodSeconds=45",
		"proxyMode=iptables preStopSleep=15s terminationGracePeriodSeconds=45",
		"proxyMode=ipvs preStopSleep=0s terminationGracePeriodSeconds=45",
		"proxyMode=ipvs preStopSleep=15s terminationGracePeriodSeconds=45",
	}
	if !slices.Equal(labels, want) {
		t.Fatalf("variants %q, want %q", labels, want)
	}
	v := sc.WithVariant(sc.Matrix.Variants()[3])
	if v.Target.Lab.ProxyMode != "ipvs" || v.Target.Lab.Nodes != 2 || *v.Patch.PreStopSleep != 15*time.Second || *v.Patch.GracePeriodSeconds != 45 || v.Patch.DeregistrationDelay != nil || v.Variant != want[3] {
		t.Fatalf("variant scenario: target %+v, patch %+v, label %q", v.Target.Lab, v.Patch, v.Variant)
	}
	if sc.Target.Lab.ProxyMode != "iptables" || sc.Patch.PreStopSleep != nil {
		t.Fatalf("WithVariant changed the original: %+v %+v", sc.Target.Lab, sc.Patch)
	}
}

// TestMatrixConntrackTimeouts: the timeouts vary as matrix variables, each
// combination setting its values in the target's lab and no other.
func TestMatrixConntrackTimeouts(t *testing.T) {
	sc, err := Parse("m.yaml", []byte(head+"target: {lab: {nodes: 2, conntrackTimeouts: {tcpEstablished: 86400s}}}\nload: {rate: 1/s, duration: 1s}\n"+
		"matrix:\n  target.lab.conntrackTimeouts.tcpTimeWait: [120s, 10s]\n  target.lab.conntrackTimeouts.udp: [30000ms]\n"))
	if err != nil {
		t.Fatal(err)
	}
	vs := sc.Matrix.Variants()
	if len(vs) != 2 || vs[1].Label != "tcpTimeWait=10s udp=30s" {
		t.Fatalf("variants %+v", vs)
	}
	v := sc.WithVariant(vs[1])
	want := ConntrackTimeouts{TCPEstablished: 86400 * time.Second, TCPTimeWait: 10 * time.Second, UDP: 30 * time.Second}
	if v.Target.Lab.ConntrackTimeouts != want {
		t.Fatalf("variant timeouts %+v, want %+v", v.Target.Lab.ConntrackTimeouts, want)
	}
	if sc.Target.Lab.ConntrackTimeouts.TCPTimeWait != 0 {
		t.Fatalf("WithVariant changed the original: %+v", sc.Target.Lab.ConntrackTimeouts)
	}
}

func TestFaultsByTime(t *testing.T) {
	s := &Scenario{Faults: []Fault{{At: 3 * time.Second, Action: "a"}, {At: time.Second, Action: "b"}, {At: 3 * time.Second, Action: "c"}}}
	var got []string
	for _, f := range s.FaultsByTime() {
		got = append(got, f.Action)
	}
	if strings.Join(got, "") != "bac" || s.Faults[0].Action != "a" {
		t.Errorf("FaultsByTime = %v, original %v", got, s.Faults)
	}
}

func TestFaultDecodeSpec(t *testing.T) {
	type rollingUpdate struct {
		Deployment     string        `yaml:"deployment" required:"true" doc:"Deployment to restart."`
		MaxUnavailable int           `yaml:"maxUnavailable" default:"1" min:"0" doc:"Pods down at once."`
		Wait           time.Duration `yaml:"wait" default:"5m" doc:"How long to wait for the rollout."`
	}
	data := head + "target: {lab: {}}\nload: {rate: 1/s, duration: 1m}\nfaults:\n" +
		"  - at: 10s\n    rollingUpdate: {deployment: web, wait: 2m}\n" +
		"  - at: 20s\n    rollingUpdate: {deploymnt: web, maxUnavailable: -1}\n" +
		"  - at: 30s\n    rollingUpdate:\n"
	s, err := Parse("t.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	var ok rollingUpdate
	if err := s.Faults[0].DecodeSpec(s.File, &ok); err != nil {
		t.Fatal(err)
	}
	if ok != (rollingUpdate{Deployment: "web", MaxUnavailable: 1, Wait: 2 * time.Minute}) {
		t.Errorf("spec = %+v", ok)
	}
	var bad rollingUpdate
	checkErrors(t, s.Faults[1].DecodeSpec(s.File, &bad), []want{
		{10, 20, "faults[1].rollingUpdate.deployment", `missing required field "deployment"`},
		{10, 21, "faults[1].rollingUpdate.deploymnt", `did you mean "deployment"?`},
		{10, 53, "faults[1].rollingUpdate.maxUnavailable", "below the minimum 0"},
	})
	var empty rollingUpdate
	checkErrors(t, s.Faults[2].DecodeSpec(s.File, &empty), []want{
		{12, 19, "faults[2].rollingUpdate.deployment", `missing required field "deployment"`},
	})
	if err := DecodeNode("t.yaml", "x", nil, ok); err == nil {
		t.Error("DecodeNode accepted a non-pointer")
	}
}

func TestDecodeNodeTypes(t *testing.T) {
	type spec struct {
		Fill    Percent           `yaml:"fill" doc:"x"`
		Ratio   float64           `yaml:"ratio" doc:"x"`
		Count   uint8             `yaml:"count" doc:"x"`
		Big     int64             `yaml:"big" doc:"x"`
		Labels  map[string]string `yaml:"labels" doc:"x"`
		Targets []struct {
			Name string `yaml:"name" required:"true" doc:"x"`
		} `yaml:"targets" doc:"x"`
	}
	parse := func(src string) (spec, error) {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatal(err)
		}
		var s spec
		err := DecodeNode("s.yaml", "spec", n.Content[0], &s)
		return s, err
	}
	s, err := parse("{fill: 95%, ratio: 0.5, count: 255, big: 1_000_000, labels: {app: web}, targets: [{name: a}]}")
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(s.Fill)-0.95) > 1e-12 || s.Ratio != 0.5 || s.Count != 255 || s.Big != 1000000 ||
		s.Labels["app"] != "web" || len(s.Targets) != 1 || s.Targets[0].Name != "a" || s.Fill.String() != "95%" {
		t.Errorf("spec = %+v", s)
	}
	_, err = parse("{fill: 95, ratio: x, count: 256, big: 1.5, targets: [{}]}")
	checkErrors(t, err, []want{
		{1, 8, "spec.fill", `"95" is not a percentage`},
		{1, 19, "spec.ratio", "expected a number"},
		{1, 29, "spec.count", "256 is out of range"},
		{1, 39, "spec.big", "expected a whole number"},
		{1, 54, "spec.targets[0].name", `missing required field "name"`},
	})
	_, err = parse("{count: -1}")
	checkErrors(t, err, []want{{1, 9, "spec.count", "-1 is negative"}})
}

// TestParseBounds: values no machine can carry out are refused, every one
// at once, with the bound and the way past it; --allow-huge accepts them.
func TestParseBounds(t *testing.T) {
	const hint = ": check for a typo, or pass --allow-huge to drill run and drill validate if it is meant"
	src := head + "target: {url: \"http://127.0.0.1:99999\"}\n" +
		"load:\n" +
		"  rate: 1000000000000/s\n" +
		"  duration: 999999h\n" +
		"  timeout: 2h\n" +
		"  workers: 1000000\n" +
		"  connections: 200000\n"
	type exact struct {
		line, col int
		path, msg string
	}
	wants := []exact{
		{4, 15, "target.url", `"http://127.0.0.1:99999" has port 99999: ports go from 1 to 65535`},
		{6, 9, "load.rate", "rate 1000000000000/s is above the bound of 100000/s, more than one machine can send" + hint},
		{7, 13, "load.duration", "duration 999999h is above the bound of 24h" + hint},
		{8, 12, "load.timeout", "timeout 2h is above the bound of 1h" + hint},
		{9, 12, "load.workers", "1000000 workers is above the bound of 100000" + hint},
		{10, 16, "load.connections", "200000 connections is above the bound of 100000" + hint},
	}
	_, err := Parse("t.yaml", []byte(src))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse: %v, want Errors", err)
	}
	if len(errs) != len(wants) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(wants), err)
	}
	for i := 0; i < len(errs) && i < len(wants); i++ {
		e, w := errs[i], wants[i]
		if e.Line != w.line || e.Col != w.col || e.Path != w.path || e.Msg != w.msg {
			t.Errorf("error %d = %v\nwant  t.yaml:%d:%d: %s: %s", i, e, w.line, w.col, w.path, w.msg)
		}
	}

	// The bounds are lifted by AllowHuge; the port is not a bound.
	_, err = ParseWith("t.yaml", []byte(src), Options{AllowHuge: true})
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "target.url" {
		t.Errorf("ParseWith(AllowHuge) = %v, want only the port error", err)
	}
	fixed := strings.Replace(src, ":99999", ":65535", 1)
	if _, err := ParseWith("t.yaml", []byte(fixed), Options{AllowHuge: true}); err != nil {
		t.Errorf("ParseWith(AllowHuge) with a valid port: %v", err)
	}

	for _, tt := range []struct{ name, load, path, msg string }{
		{"phase rate", "phases: [{duration: 1s, rate: 200000/s}]", "load.phases[0].rate", "rate 200000/s is above the bound of 100000/s, more than one machine can send"},
		{"ramp target", "phases: [{duration: 1s, from: 1/s, to: 101/ms}]", "load.phases[0].to", "rate 101/ms is above the bound of 100000/s, more than one machine can send"},
		{"phases total", "phases: [{duration: 20h, rate: 1/s}, {duration: 5h, rate: 1/s}]", "load.phases", "the phases last 25h together, above the bound of 24h"},
		{"max workers", "rate: 1/s, duration: 1s, maxWorkers: 100001", "load.maxWorkers", "100001 workers is above the bound of 100000"},
		{"requests", "rate: 1/s, duration: 1s, requests: [" + strings.Repeat("{}, ", MaxRequests) + "{}]", "load.requests", "1001 requests is above the bound of 1000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(head+"load: {"+tt.load+"}\n"))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse: %v", err)
			}
			found := false
			for _, e := range errs {
				found = found || e.Path == tt.path && e.Msg == tt.msg+hint
			}
			if !found {
				t.Errorf("errors:\n%v\nwant %s: %s%s", err, tt.path, tt.msg, hint)
			}
		})
	}
	for _, ok := range []string{"rate: 100000/s, duration: 24h, timeout: 1h", "rate: 100/ms, duration: 1s", "rate: 1/s, duration: 1s, workers: 100000, connections: 100000"} {
		if _, err := Parse("t.yaml", []byte(head+"load: {"+ok+"}\n")); err != nil {
			t.Errorf("load {%s} at the bounds: %v", ok, err)
		}
	}
}

// testFaults names fault actions for the parser's tests, without
// parameters (the injector's own tests check those).
var testFaults = []FaultAction{{Name: "rollingUpdate", Doc: "Roll."}, {Name: "scale", Doc: "Scale."}, {Name: "podKill", Doc: "Kill."}}

// A check relative to the baseline is kept apart: a run does not judge it,
// drill compare does.
func TestBaselineChecks(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(head+"target: {url: http://127.0.0.1}\nload: {rate: 1/s, duration: 5s}\nchecks: [p99 <= +10%, p99 < 1s, errors <= +5]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ex := sc.Exprs(); len(ex) != 1 || ex[0].Source != "p99 < 1s" {
		t.Errorf("Exprs = %+v, want the absolute check only", ex)
	}
	if got := sc.BaselineChecks(); len(got) != 2 || got[0] != "p99 <= +10%" || got[1] != "errors <= +5" {
		t.Errorf("BaselineChecks = %q", got)
	}
}
