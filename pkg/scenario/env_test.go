package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestExpandVars(t *testing.T) {
	env := map[string]string{"A": "a", "EMPTY": "", "URL": "http://127.0.0.1:8080"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct{ in, want, problem string }{
		{"${A}", "a", ""},
		{"x${A}y${A}", "xaya", ""},
		{"${URL}/path", "http://127.0.0.1:8080/path", ""},
		{"${UNSET:-d}", "d", ""},
		{"${EMPTY:-d}", "d", ""},
		{"${A:-d}", "a", ""},
		{"${UNSET:-}", "", ""},
		{"${EMPTY}", "", ""},
		{"$${A}", "${A}", ""},
		{"cost $5 and $A", "cost $5 and $A", ""},
		{"${UNSET}", "", "${UNSET} is not set: export UNSET, or give a default with ${UNSET:-value}"},
		{"${A", "", "${ without a closing }"},
		{"${1X}", "", "${1X}: not a variable name"},
		{"${A-x}", "", "${A-x}: not a variable name"},
	} {
		got, problems := expandVars(tc.in, lookup)
		switch {
		case tc.problem == "" && (len(problems) > 0 || got != tc.want):
			t.Errorf("expandVars(%q) = %q, %v; want %q", tc.in, got, problems, tc.want)
		case tc.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0], tc.problem)):
			t.Errorf("expandVars(%q) problems %v; want one with %q", tc.in, problems, tc.problem)
		}
	}
}

const envScenario = `apiVersion: drill/v1
kind: Scenario
metadata:
  name: ${NAME:-env}
  description: ${DESC}
target: {url: "${TARGET}"}
load:
  rate: ${RATE:-10/s}
  duration: ${DURATION}
  workers: ${WORKERS}
  headers: {Authorization: "Bearer ${TOKEN}", X-Literal: "$${NOT_A_VAR}"}
`

func TestScenarioEnvironment(t *testing.T) {
	env := map[string]string{"DESC": "123", "TARGET": "http://127.0.0.1:8080", "DURATION": "2s", "WORKERS": "4", "TOKEN": "t0ken"}
	opts := Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	sc, err := ParseWith("f.yaml", []byte(envScenario), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Metadata.Name != "env" || sc.Metadata.Description != "123" {
		t.Errorf("metadata %+v: want name env (the default) and description 123 (a string field takes a number)", sc.Metadata)
	}
	if sc.Target.URL != "http://127.0.0.1:8080" || sc.Load.Workers != 4 || sc.Load.Phases[0].Duration != 2*time.Second || sc.Load.Phases[0].From.String() != "10/s" {
		t.Errorf("target %q, workers %d, phase %+v", sc.Target.URL, sc.Load.Workers, sc.Load.Phases[0])
	}
	if sc.Load.Headers["Authorization"] != "Bearer t0ken" || sc.Load.Headers["X-Literal"] != "${NOT_A_VAR}" {
		t.Errorf("headers %v", sc.Load.Headers)
	}

	// Every unset variable is reported at once, with its position and
	// path, and none of their values appear.
	delete(env, "DURATION")
	delete(env, "TOKEN")
	env["WORKERS"] = "four"
	_, err = ParseWith("f.yaml", []byte(envScenario), opts)
	if err == nil {
		t.Fatal("unset variables accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"f.yaml:9:13: load.duration: ${DURATION} is not set",
		"f.yaml:11:28: load.headers.Authorization: ${TOKEN} is not set",
		"load.workers: expected a whole number",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors:\n%s\nwant %q", msg, want)
		}
	}
	if strings.Contains(msg, "is not a duration") || strings.Contains(msg, "t0ken") {
		t.Errorf("errors:\n%s\nwant only the unset variable for load.duration, and no value", msg)
	}
}
