package scenario

import (
	"strings"
	"testing"
	"time"
)

const setBase = "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: s}\ntarget: {url: \"http://127.0.0.1:8080\"}\nload: {rate: 10/s, duration: 1s}\n"

func parseSets(t *testing.T, sets ...string) (*Scenario, error) {
	t.Helper()
	var ss []Set
	for _, s := range sets {
		x, err := ParseSet(s)
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, x)
	}
	return ParseWith("f.yaml", []byte(setBase), Options{Set: ss})
}

func TestSetOverridesTheFile(t *testing.T) {
	sc, err := parseSets(t, "load.rate=500/s", "load.duration=2m", "load.headers.X-Run=ci", "checks[0]=p99 < 1s")
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Load.Phases[0]
	if p.From.String() != "500/s" || p.Duration != 2*time.Minute {
		t.Errorf("phase %+v: want 500/s for 2m", p)
	}
	if sc.Load.Headers["X-Run"] != "ci" || len(sc.Checks) != 1 || sc.Checks[0].Expr.String() != "p99 < 1s" {
		t.Errorf("headers %v, checks %+v", sc.Load.Headers, sc.Checks)
	}
}

func TestSetRepeat(t *testing.T) {
	sc, err := parseSets(t, "repeat=3")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Repeat != 3 {
		t.Errorf("repeat = %d, want 3", sc.Repeat)
	}
	if sc, _ := parseSets(t); sc.Repeat != 1 {
		t.Errorf("default repeat = %d, want 1", sc.Repeat)
	}
}

// An override is checked by the file's own rules, and its problems name
// the flag instead of a position in the file.
func TestSetValidatedLikeTheFile(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"load.rate=abc", `--set load.rate=abc: load.rate: rate "abc" is not FREQ/PER`},
		{"load.nope=1", `--set load.nope=1: load.nope: unknown field "nope"`},
		{"load.workers=x", `--set load.workers=x: load.workers: expected a whole number`},
		{"load.rate=1000000000/s", "--set load.rate=1000000000/s: load.rate: rate 1000000000/s is above the bound"},
		{"load.rate.x=1", "--set load.rate.x=1: load.rate is not a mapping"},
		{"checks[2]=x", "--set checks[2]=x: checks has 0 items"},
		{"load.rate=[a", "--set load.rate=[a: the value is not YAML"},
		{"repeat=0", "--set repeat=0: repeat: 0 is below the minimum 1"},
	} {
		_, err := parseSets(t, tc.set)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: %v\nwant %q", tc.set, err, tc.want)
		}
	}
	if _, err := ParseSet("load.rate"); err == nil {
		t.Error("ParseSet without = accepted")
	}
}

// A key with dots (a matrix variable, a header name) is written in
// brackets.
func TestSetKeysWithDots(t *testing.T) {
	base := "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: s}\ntarget: {lab: {}}\nsetup: [web.yaml]\nload: {rate: 10/s, duration: 1s}\nmatrix:\n  target.lab.proxyMode: [iptables]\n"
	set := func(s string) Set {
		x, err := ParseSet(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	sc, err := ParseWith("f.yaml", []byte(base), Options{Set: []Set{
		set("matrix[target.lab.proxyMode]=[iptables, nftables]"), set("load.headers[X.Trace]=on"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sc.Matrix.Variants()); n != 2 {
		t.Errorf("%d combinations, want 2: %+v", n, sc.Matrix)
	}
	if sc.Load.Headers["X.Trace"] != "on" {
		t.Errorf("headers %v", sc.Load.Headers)
	}
	_, err = ParseWith("f.yaml", []byte(base), Options{Set: []Set{set("matrix[nope.var]=[1]")}})
	if err == nil || !strings.Contains(err.Error(), "--set matrix[nope.var]=[1]") {
		t.Errorf("an unknown matrix variable: %v", err)
	}
	for _, p := range []string{"[0]", "a..b", "a.", ".a", "a[0]b", "a[", "a[-1]", "a[1x]"} {
		if _, err := splitPath(p); err == nil {
			t.Errorf("splitPath(%q) accepted", p)
		}
	}
}
