package run

import (
	"testing"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/scenario"
)

// TestMaxBodyDefault: a scenario that sets no load.maxBody caps bodies at
// load.DefaultMaxBody, and one that does passes its value to the load.
func TestMaxBodyDefault(t *testing.T) {
	for body, want := range map[string]int64{"": load.DefaultMaxBody, ", maxBody: 0": 0, ", maxBody: -1": -1, ", maxBody: 100": 100} {
		sc, err := scenario.Parse("s.yaml", []byte("apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: t}\ntarget: {url: 'http://127.0.0.1:1'}\nload: {rate: 1/s, duration: 1s"+body+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(sc.Load, sc.Target.URL, Guard(false))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MaxBody != want {
			t.Errorf("load%q: MaxBody %d, want %d", body, cfg.MaxBody, want)
		}
	}
}
