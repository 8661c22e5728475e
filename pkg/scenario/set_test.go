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
