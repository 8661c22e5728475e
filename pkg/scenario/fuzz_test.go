package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("../../scenarios/*.yaml")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "~", "- a", "a: &x [*x]", head + "load: {rate: 1/s, duration: 1s}\n",
		head + "load: {phases: [{duration: 1s, from: 0/s, to: 5/s}]}\nchecks: ['p99 < 1s']\n", "\t", "a: b: c", "---\n---\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v (%T), want non-empty Errors", err, err)
			}
			for _, e := range errs {
				if e.Line < 1 || e.Col < 0 || e.File != "f.yaml" || e.Msg == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		if s == nil {
			t.Fatal("nil scenario without error")
		}
		if len(s.Load.Phases) == 0 || s.TotalDuration() <= 0 {
			t.Fatalf("valid scenario without a load plan: %+v", s.Load)
		}
		for _, p := range s.Load.Phases {
			if p.From.IsZero() || p.To.IsZero() || p.Duration <= 0 {
				t.Fatalf("phase not normalized: %+v", p)
			}
		}
		if s.Target.URL != "" {
			if s.Target.Lab != nil || s.Target.Kube != nil {
				t.Fatalf("more than one target: %+v", s.Target)
			}
		} else if (s.Target.Lab == nil) == (s.Target.Kube == nil) {
			t.Fatalf("want exactly one target: %+v", s.Target)
		}
		for _, r := range s.Load.Requests {
			if r.Name == "" || r.Method == "" || r.Weight < 1 {
				t.Fatalf("request without defaults: %+v", r)
			}
		}
	})
}
