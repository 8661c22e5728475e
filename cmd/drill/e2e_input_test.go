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
