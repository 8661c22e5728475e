package check

import "testing"

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("success_rate >= 99.9%"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	e, err := Parse("p99 < 300ms")
	if err != nil {
		b.Fatal(err)
	}
	v := Map{"p99": 0.25}
	for b.Loop() {
		if pass, _, _ := e.Eval(v); !pass {
			b.Fatal("failed")
		}
	}
}

func BenchmarkAbortTrackerObserve(b *testing.B) {
	a, err := ParseAbort("error_rate > 20% for 10s")
	if err != nil {
		b.Fatal(err)
	}
	t := NewAbortTracker(a)
	v := Map{"error_rate": 0.01}
	for b.Loop() {
		t.Observe(v)
	}
}
