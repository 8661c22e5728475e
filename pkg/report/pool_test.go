package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

// Two trials: one without errors, one with a 7-second burst of 30 failures
// a second from t=31s.
func twoTrials() []*report.Report {
	clean := reporttest.Variant("", 0, 0, 0, 1)
	burst := reporttest.Variant("", 31, 38, 30, 1)
	burst.StartedAt = clean.StartedAt.Add(2 * time.Minute)
	burst.EndedAt = burst.StartedAt.Add(time.Minute)
	return []*report.Report{clean, burst}
}

func TestPoolAddsUpTheTrials(t *testing.T) {
	trials := twoTrials()
	p := report.Pool(trials, []string{"trial-1", "trial-2"})
	s := p.Summary
	if s.Requests != 12000 || s.Successes != 12000-210 {
		t.Errorf("requests %d, successes %d; want 12000 and %d", s.Requests, s.Successes, 12000-210)
	}
	if s.Codes["502"] != 140 || s.Codes["200"] != 12000-210 || s.Errors["http"] != 140 {
		t.Errorf("codes %v, errors %v", s.Codes, s.Errors)
	}
	var hist uint64
	for _, b := range s.Histogram.Buckets {
		hist += b.Count
	}
	if hist != 12000 {
		t.Errorf("histogram holds %d requests, want 12000", hist)
	}
	// The second trial's seconds come after the first's.
	if len(s.Timeline) != 120 || s.Timeline[60].T != 60 || s.Timeline[119].T != 119 {
		t.Fatalf("timeline of %d seconds, second 60 at t=%d", len(s.Timeline), s.Timeline[60].T)
	}
	if len(s.Bursts) != 1 || s.Bursts[0].StartT != 91 || s.Bursts[0].EndT != 98 {
		t.Errorf("bursts %+v, want one from t=91s to 98s", s.Bursts)
	}
	if v, _ := s.Value("max_error_burst"); v != 7 {
		t.Errorf("max_error_burst = %v, want 7", v)
	}
	if v, _ := s.Value("error_rate"); v != 210.0/12000 {
		t.Errorf("error_rate = %v, want %v", v, 210.0/12000)
	}
	if s.Rate != 100 {
		t.Errorf("rate = %v, want 100", s.Rate)
	}
	if p.Status != report.StatusFailed || p.ExitCode != report.ExitChecksFailed {
		t.Errorf("status %s, exit %d; want the failed trial's", p.Status, p.ExitCode)
	}
	if !p.StartedAt.Equal(trials[0].StartedAt) || !p.EndedAt.Equal(trials[1].EndedAt) {
		t.Errorf("pooled run from %v to %v", p.StartedAt, p.EndedAt)
	}
	if len(p.Trials) != 2 || p.Trials[0].Requests != 6000 || p.Trials[1].Successes != 6000-210 || p.Trials[1].Dir != "trial-2" ||
		p.Trials[0].ExitCode != report.ExitOK || p.Trials[1].ChecksPassed != 1 || p.Trials[1].Checks != 4 {
		t.Errorf("trials %+v", p.Trials)
	}
	want := (trials[0].Score.Total + trials[1].Score.Total) / 2
	if p.Score.Total != want {
		t.Errorf("score %v, want the mean %v", p.Score.Total, want)
	}
	// A check holds only when it held in every trial.
	if len(p.Checks) != 3 {
		t.Fatalf("checks %+v", p.Checks)
	}
	sr := p.Checks[0]
	if sr.Passed || !strings.Contains(sr.Message, "failed in 1 of 2 trials (trial-2)") || sr.Actual != "96.500%" {
		t.Errorf("success_rate check %+v", sr)
	}
	if !p.Checks[1].Passed {
		t.Errorf("p99 check %+v: passed in both trials", p.Checks[1])
	}
}

func TestPoolWorstExitCode(t *testing.T) {
	trials := twoTrials()
	trials[0].Status, trials[0].ExitCode = report.StatusError, report.ExitError
	trials[0].Incomplete, trials[0].IncompleteReason = true, "interrupted"
	p := report.Pool(trials, []string{"trial-1", "trial-2"})
	if p.ExitCode != report.ExitError || p.Status != report.StatusError {
		t.Errorf("exit %d, status %s; want the error trial's", p.ExitCode, p.Status)
	}
	if !p.Incomplete || p.IncompleteReason != "trial-1: interrupted" {
		t.Errorf("incomplete %v %q", p.Incomplete, p.IncompleteReason)
	}
	for _, tc := range []struct {
		codes []int
		want  int
	}{
		{nil, report.ExitOK},
		{[]int{report.ExitOK, report.ExitChecksFailed}, report.ExitChecksFailed},
		{[]int{report.ExitAborted, report.ExitChecksFailed}, report.ExitAborted},
		{[]int{report.ExitUnrecovered, report.ExitError}, report.ExitUnrecovered},
	} {
		if got := report.WorstExit(tc.codes...); got != tc.want {
			t.Errorf("WorstExit(%v) = %d, want %d", tc.codes, got, tc.want)
		}
	}
}

func TestLoadRunPoolsTrials(t *testing.T) {
	dir := t.TempDir()
	trials := twoTrials()
	// trial-10 sorts after trial-2; trial-3 has no report (it did not start).
	for name, r := range map[string]*report.Report{"trial-2": trials[0], "trial-10": trials[1]} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := report.Write(filepath.Join(dir, name, report.FileName), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "trial-3"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := report.LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Trials) != 2 || p.Trials[0].Dir != "trial-2" || p.Trials[1].Dir != "trial-10" || p.Summary.Requests != 12000 {
		t.Fatalf("pooled %d requests of trials %+v", p.Summary.Requests, p.Trials)
	}
	// The pooled report is a report: it is written and read back as one.
	if err := report.Write(filepath.Join(dir, report.PooledFileName), p); err != nil {
		t.Fatal(err)
	}
	back, err := report.Load(filepath.Join(dir, report.PooledFileName))
	if err != nil || len(back.Trials) != 2 || back.Summary.Requests != 12000 {
		t.Fatalf("pooled.json read back: %v, %+v", err, back)
	}
	// Load, which reads one run, points at the trials and the pooled report.
	if _, err := report.Load(dir); err == nil || !strings.Contains(err.Error(), "is a repeated run: its trials are in trial-1, ..., pooled in") {
		t.Errorf("Load of a repeated run: %v", err)
	}
	// One trial's directory is one run.
	one, err := report.LoadRun(filepath.Join(dir, "trial-2"))
	if err != nil || len(one.Trials) != 0 || one.Summary.Requests != 6000 {
		t.Fatalf("a trial read as a run: %v, %d trials", err, len(one.Trials))
	}
	if _, err := report.LoadRun(t.TempDir()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("an empty directory: %v", err)
	}
}
