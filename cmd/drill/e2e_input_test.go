package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/report"
)

// writeFile writes body to name in a new temporary directory.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHugeValuesRefusedUnlessAllowed(t *testing.T) {
	const hint = ": check for a typo, or pass --allow-huge to drill run and drill validate if it is meant"
	huge := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: huge}\ntarget: {url: \"http://127.0.0.1:99999\"}\nload: {rate: 1000000000000/s, duration: 999999h}\n"
	p := writeFile(t, "huge.yaml", huge)
	for _, cmd := range [][]string{{"validate", p}, {"run", "--quiet", "--dir", filepath.Join(t.TempDir(), "run"), p}} {
		res := drill(t, cmd...)
		if res.code != report.ExitUsage {
			t.Errorf("drill %s: exit %d, want %d\n%s", cmd[0], res.code, report.ExitUsage, res.stderr)
		}
		for _, want := range []string{
			p + `:4:15: target.url: "http://127.0.0.1:99999" has port 99999: ports go from 1 to 65535`,
			p + ":5:14: load.rate: rate 1000000000000/s is above the bound of 100000/s, more than one machine can send" + hint,
			p + ":5:41: load.duration: duration 999999h is above the bound of 24h" + hint,
		} {
			if !strings.Contains(res.stderr, want+"\n") {
				t.Errorf("drill %s: stderr lacks\n%s\ngot:\n%s", cmd[0], want, res.stderr)
			}
		}
	}
	ok := writeFile(t, "ok.yaml", strings.Replace(huge, ":99999", ":65535", 1))
	if res := drill(t, "validate", ok); res.code != report.ExitUsage {
		t.Errorf("drill validate without --allow-huge: exit %d, want %d", res.code, report.ExitUsage)
	}
	if res := drill(t, "validate", "--allow-huge", ok); res.code != report.ExitOK {
		t.Errorf("drill validate --allow-huge: exit %d, want 0\n%s", res.code, res.stderr)
	}
}

// A name that does not resolve is a runtime error (exit 1), not an invalid
// scenario: the file is right, the network is not.
func TestUnresolvableTargetIsARuntimeError(t *testing.T) {
	file := scenarioFile(t, "http://drill-test.invalid:8080/", "{rate: 10/s, duration: 1s}", "")
	dir := filepath.Join(t.TempDir(), "run")
	res := drill(t, "run", "--quiet", "--dir", dir, file)
	if res.code != report.ExitError || !strings.Contains(res.stderr, "resolve drill-test.invalid") {
		t.Fatalf("exit %d, stderr %s: want %d and the name that did not resolve", res.code, res.stderr, report.ExitError)
	}
	if r, err := report.Load(dir); err != nil || r.Status != report.StatusError || r.ExitCode != report.ExitError {
		t.Errorf("report %+v, %v: want status error with exit code %d", r, err, report.ExitError)
	}
}

func TestTabIndentationNamed(t *testing.T) {
	p := writeFile(t, "tab.yaml", "apiVersion: drill/v1\nkind: Scenario\nmetadata:\n  name: t\nload:\n  rate: 1/s\n \tduration: 1s\n")
	res := drill(t, "validate", p)
	want := p + ":7:2: invalid YAML: a tab in the indentation: YAML indents with spaces only; replace the tab with spaces\n"
	if res.code != report.ExitUsage || res.stderr != want {
		t.Errorf("exit %d, stderr %q\nwant %d, %q", res.code, res.stderr, report.ExitUsage, want)
	}
}

func TestCompareSameRunRefused(t *testing.T) {
	srv := failingServer(t, 1<<40)
	_, _, dir := runScenario(t, scenarioFile(t, srv.URL, "{rate: 50/s, duration: 1s}", ""))
	for _, args := range [][]string{{dir, dir}, {dir, filepath.Join(dir, report.FileName)}} {
		res := drill(t, append([]string{"compare"}, args...)...)
		want := "drill compare: " + args[0] + " and " + args[1] + " are the same run (e2e, started "
		if res.code != report.ExitUsage || !strings.HasPrefix(res.stderr, want) || res.stdout != "" {
			t.Errorf("drill compare %v: exit %d, stdout %q, stderr %q\nwant %d and a message starting %q", args, res.code, res.stdout, res.stderr, report.ExitUsage, want)
		}
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, cmd := range []string{"run", "validate", "explain", "report", "compare", "recover", "agent", "flood", "conntrack-flush", "echo", "advise", "version", "completion", "lab", "lab up", "lab status", "lab kubeconfig", "lab down", "lab load-image", "lab alb"} {
		words := strings.Fields(cmd)
		usage := "Usage:\n  drill " + cmd
		res := drill(t, append([]string{"help"}, words...)...)
		if res.code != report.ExitOK || !strings.Contains(res.stdout, usage) || res.stderr != "" {
			t.Errorf("drill help %s: exit %d, stdout %q: want 0 and the command's usage", cmd, res.code, res.stdout)
		}
		for _, h := range []string{"-h", "--help"} {
			if res := drill(t, append(words, h)...); res.code != report.ExitOK || !strings.Contains(res.stdout, usage) {
				t.Errorf("drill %s %s: exit %d, stdout %q: want 0 and the command's usage", cmd, h, res.code, res.stdout)
			}
		}
	}
	if res := drill(t, "help", "nope"); res.code != report.ExitUsage || !strings.Contains(res.stderr, `unknown command "nope"`) {
		t.Errorf("drill help nope: exit %d, stderr %q", res.code, res.stderr)
	}
	if res := drill(t, "explain", "nope"); res.code != report.ExitUsage {
		t.Errorf("drill explain nope: exit %d, want %d", res.code, report.ExitUsage)
	}
}

// --set overrides a field for one run, checked like the file.
func TestSetOverridesOneRun(t *testing.T) {
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 10/s, duration: 1s}", "")
	res, r, _ := runScenario(t, file, "--set", "load.rate=40/s", "--set=load.duration=2s")
	if res.code != report.ExitOK || r.Summary.Requests < 60 {
		t.Fatalf("exit %d, %d requests: want 40/s for 2s (80)\n%s", res.code, r.Summary.Requests, res.stderr)
	}
	for _, args := range [][]string{{"run", "--quiet", "--set", "load.rate=abc", file}, {"validate", "--set", "load.rate=abc", file}} {
		res := drill(t, args...)
		want := "--set load.rate=abc: load.rate: rate \"abc\" is not FREQ/PER"
		if res.code != report.ExitUsage || !strings.Contains(res.stderr, want) {
			t.Errorf("drill %s: exit %d, stderr %q; want 2 and %q", args[0], res.code, res.stderr, want)
		}
	}
	if res := drill(t, "validate", "--set", "load.rate", file); res.code != report.ExitUsage || !strings.Contains(res.stderr, "want PATH=VALUE") {
		t.Errorf("--set without =: exit %d, stderr %q", res.code, res.stderr)
	}
}
