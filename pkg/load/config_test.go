package load

import "testing"

// MaxWorkers 0 is never unbounded: DefaultMaxWorkers, or Workers when the
// scenario starts more, so that such a config is valid.
func TestMaxWorkersDefault(t *testing.T) {
	for _, tt := range []struct {
		workers, max, want uint64
	}{{0, 0, DefaultMaxWorkers}, {10, 0, DefaultMaxWorkers}, {5000, 0, 5000}, {10, 20, 20}} {
		c := Config{Workers: tt.workers, MaxWorkers: tt.max}
		if got := c.maxWorkers(); got != tt.want {
			t.Errorf("workers %d maxWorkers %d: cap %d, want %d", tt.workers, tt.max, got, tt.want)
		}
	}
	c := Config{Phases: constant(1, 1), Workers: 5000, Requests: []Request{{URL: "http://127.0.0.1/"}}}
	if err := c.Validate(); err != nil {
		t.Errorf("5000 workers with maxWorkers 0: %v", err)
	}
}
