package report

import (
	"testing"
	"time"
)

func TestFinalize(t *testing.T) {
	passing := CheckResult{Expr: "p99 < 500ms", Metric: "p99", Op: "<", Threshold: "500ms", Passed: true}
	failing := CheckResult{Expr: "status_5xx == 0", Metric: "status_5xx", Op: "==", Threshold: "0"}
	noData := CheckResult{Expr: "conntrack_drops == 0", Metric: "conntrack_drops", Op: "==", Threshold: "0", NoData: true}
	tests := []struct {
		name   string
		status Status
		checks []CheckResult
		abort  *AbortResult
		want   Status
		code   int
	}{
		{"all pass", "", []CheckResult{passing}, nil, StatusPassed, ExitOK},
		{"no data fails", "", []CheckResult{passing, noData}, nil, StatusFailed, ExitChecksFailed},
		{"no checks", "", nil, nil, StatusPassed, ExitOK},
		{"a check fails", "", []CheckResult{passing, failing}, nil, StatusFailed, ExitChecksFailed},
		{"aborted", "", []CheckResult{passing, failing}, &AbortResult{Expr: "error_rate > 20% for 5s", AtT: 9}, StatusAborted, ExitAborted},
		{"error is kept", StatusError, []CheckResult{passing}, nil, StatusError, ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixtureReport()
			r.Schema, r.Score = "", Score{}
			r.Status, r.Checks, r.Abort = tt.status, tt.checks, tt.abort
			r.Events = []Event{{T: 5 * time.Second, Message: "b"}, {T: time.Second, Message: "a"}}
			r.Finalize()
			if r.Status != tt.want || r.ExitCode != tt.code {
				t.Errorf("status %q exit %d, want %q %d", r.Status, r.ExitCode, tt.want, tt.code)
			}
			if r.Schema != Schema || len(r.Score.Components) != 4 {
				t.Errorf("schema %q, %d score components", r.Schema, len(r.Score.Components))
			}
			if r.Events[0].Message != "a" {
				t.Errorf("events not sorted: %+v", r.Events)
			}
		})
	}
}
