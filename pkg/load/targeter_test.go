package load

import (
	"strings"
	"sync"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestMixSequence(t *testing.T) {
	cfg := Config{Requests: []Request{
		{Name: "a", URL: "http://127.0.0.1/a", Weight: 5},
		{Name: "b", URL: "http://127.0.0.1/b"},
		{Name: "c", URL: "http://127.0.0.1/c", Weight: 1},
	}}
	tr := NewMix(cfg).Targeter()
	var seq []string
	for range 14 {
		var tgt vegeta.Target
		if err := tr(&tgt); err != nil {
			t.Fatal(err)
		}
		seq = append(seq, tgt.URL[strings.LastIndex(tgt.URL, "/")+1:])
	}
	// Smooth weighted round-robin interleaves rather than bunching.
	if got, want := strings.Join(seq, ""), "aabacaaaabacaa"; got != want {
		t.Errorf("sequence %s, want %s", got, want)
	}
}

func TestMixWeights(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		picks   int
	}{
		{"equal", []int{1, 1, 1}, 300},
		{"three to one", []int{3, 1}, 400},
		{"uneven", []int{7, 2, 1, 10}, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg Config
			total := 0
			for i, w := range tt.weights {
				cfg.Requests = append(cfg.Requests, Request{Name: string(rune('a' + i)), URL: "http://127.0.0.1/", Weight: w})
				total += w
			}
			m := NewMix(cfg)
			tr := m.Targeter()
			counts := map[string]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range tt.picks / 4 {
						var tgt vegeta.Target
						if err := tr(&tgt); err != nil {
							t.Error(err)
							return
						}
						name, _, ok := m.Name(&vegeta.Result{Method: tgt.Method, URL: tgt.URL})
						if !ok {
							t.Errorf("no name for %s %s", tgt.Method, tgt.URL)
						}
						mu.Lock()
						counts[name]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for i, w := range tt.weights {
				name := string(rune('a' + i))
				if want := tt.picks / total * w; counts[name] != want {
					t.Errorf("%s: %d picks, want %d", name, counts[name], want)
				}
			}
		})
	}
}

func TestMixSameURLNames(t *testing.T) {
	m := NewMix(Config{Requests: []Request{
		{Name: "small", Method: "POST", URL: "http://127.0.0.1/x", Body: []byte("s")},
		{Name: "large", Method: "POST", URL: "http://127.0.0.1/x", Body: []byte("llll")},
		{URL: "http://127.0.0.1/y"},
	}})
	tr := m.Targeter()
	for range 3 {
		var tgt vegeta.Target
		if err := tr(&tgt); err != nil {
			t.Fatal(err)
		}
		name, u, ok := m.Name(&vegeta.Result{Method: tgt.Method, URL: tgt.URL})
		want := map[string]string{"s": "small", "llll": "large", "": "GET http://127.0.0.1/y"}[string(tgt.Body)]
		if !ok || name != want {
			t.Errorf("body %q named %q (ok %v), want %q", tgt.Body, name, ok, want)
		}
		if strings.Contains(u, "#") {
			t.Errorf("URL %q keeps the fragment", u)
		}
	}
}
