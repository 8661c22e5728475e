package report

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/metric"
)

// PooledFileName is the pooled report of a repeated run, next to its
// trials' directories.
const PooledFileName = "pooled.json"

// trialPrefix starts the name of a trial's directory: trial-1, trial-2, ...
const trialPrefix = "trial-"

// TrialDir names the directory of the n-th trial (from 1) of a repeated run.
func TrialDir(n int) string { return trialPrefix + strconv.Itoa(n) }

// Trial is one trial of a pooled report, summarised.
type Trial struct {
	// Dir is the trial's directory relative to the pooled report's.
	Dir        string        `json:"dir"`
	StartedAt  time.Time     `json:"startedAt"`
	Status     Status        `json:"status"`
	Incomplete bool          `json:"incomplete,omitempty"`
	ExitCode   int           `json:"exitCode"`
	Requests   uint64        `json:"requests"`
	Successes  uint64        `json:"successes"`
	P50        time.Duration `json:"p50Ns"`
	P99        time.Duration `json:"p99Ns"`
	Score      float64       `json:"score"`
	// ChecksPassed of Checks held in the trial.
	ChecksPassed int `json:"checksPassed"`
	Checks       int `json:"checks"`
}

// Pool merges the reports of a repeated run's trials, in trial order, into
// one report: requests, codes, errors and latency histograms add up (the
// proportion and latency tests of drill compare then see every trial's
// requests), the trials' timelines follow one another, a check holds only
// when it held in every trial, and status and exit code are the worst
// trial's. Trials keeps each trial's own numbers. dirs names the trials'
// directories, relative to the pooled report's. Pool needs a trial.
func Pool(trials []*Report, dirs []string) *Report {
	first, last := trials[0], trials[len(trials)-1]
	p := &Report{
		Schema: Schema, DrillVersion: first.DrillVersion, Scenario: first.Scenario, Target: first.Target,
		Variant: first.Variant, StartedAt: first.StartedAt, EndedAt: last.EndedAt, RequireChecks: first.RequireChecks,
		Environment: Environment{Host: first.Environment.Host}, BaselineChecks: first.BaselineChecks,
	}
	var codes []int
	var incomplete []string
	var score float64
	sums := make([]metric.Summary, len(trials))
	for i, t := range trials {
		dir := fmt.Sprintf("trial %d", i+1)
		if i < len(dirs) {
			dir = dirs[i]
		}
		passed := 0
		for _, c := range t.Checks {
			if c.Passed && !c.NoData {
				passed++
			}
		}
		p.Trials = append(p.Trials, Trial{
			Dir: dir, StartedAt: t.StartedAt, Status: t.Status, Incomplete: t.Incomplete, ExitCode: t.ExitCode,
			Requests: t.Summary.Requests, Successes: t.Summary.Successes, P50: t.Summary.Latency.P50, P99: t.Summary.Latency.P99,
			Score: t.Score.Total, ChecksPassed: passed, Checks: len(t.Checks),
		})
		p.Planned += t.Planned
		codes = append(codes, t.ExitCode)
		if t.Incomplete {
			incomplete = append(incomplete, dir+": "+t.IncompleteReason)
		}
		if statusRank[t.Status] > statusRank[p.Status] || i == 0 {
			p.Status = t.Status
		}
		score += t.Score.Total
		sums[i] = t.Summary.Metric()
		for _, n := range t.Environment.Notes {
			if !slices.Contains(p.Environment.Notes, n) {
				p.Environment.Notes = append(p.Environment.Notes, n)
			}
		}
		for k, v := range t.Sampled {
			if p.Sampled == nil {
				p.Sampled = map[string]float64{}
			}
			p.Sampled[k] = max(p.Sampled[k], v)
		}
		p.Events = append(p.Events, Event{T: t.StartedAt.Sub(first.StartedAt), Time: t.StartedAt, Kind: EventNote, Source: dir,
			Message: fmt.Sprintf("%s: %s, %d requests, exit code %d", dir, t.Status, t.Summary.Requests, t.ExitCode)})
	}
	p.ExitCode = WorstExit(codes...)
	if len(incomplete) > 0 {
		p.Incomplete, p.IncompleteReason = true, strings.Join(incomplete, "; ")
	}
	p.Score = Score{Total: score / float64(len(trials)),
		PartialReason: fmt.Sprintf("mean of the %d trials' scores", len(trials))}
	p.Summary = SummaryOf(poolSummaries(sums))
	p.Checks = poolChecks(trials, p.Trials)
	return p
}

// statusRank orders statuses from the best to the worst.
var statusRank = map[Status]int{StatusPassed: 0, StatusUnjudged: 1, StatusFailed: 2, StatusAborted: 3, StatusError: 4}

// poolSummaries adds up the trials' summaries. The timelines follow one
// another, each trial's seconds and bursts shifted past the previous
// trials'; a burst still going at the end of its trial recovers there.
func poolSummaries(sums []metric.Summary) metric.Summary {
	out := metric.Summary{Start: sums[0].Start, End: sums[len(sums)-1].End, Codes: map[string]uint64{}, Errors: map[string]uint64{}}
	var busy float64 // seconds of load, from each trial's rate
	var meanNs float64
	errs := map[string]uint64{}
	byName := map[string]*metric.NamedRequests{}
	backends := map[string]uint64{}
	shift := 0
	for _, s := range sums {
		out.Duration += s.Duration
		out.Requests += s.Requests
		out.Successes += s.Successes
		if s.Rate > 0 {
			busy += float64(s.Requests) / s.Rate
		}
		if s.Throughput > 0 {
			out.Throughput += float64(s.Successes) / s.Throughput // seconds, divided below
		}
		for k, v := range s.Codes {
			out.Codes[k] += v
		}
		for k, v := range s.Errors {
			out.Errors[k] += v
		}
		for _, e := range s.ErrorSet {
			errs[e.Message] += e.Count
		}
		for _, n := range s.ByName {
			m := byName[n.Name]
			if m == nil {
				m = &metric.NamedRequests{Name: n.Name}
				byName[n.Name] = m
			}
			m.Requests += n.Requests
			m.Successes += n.Successes
			m.P50, m.P99 = max(m.P50, n.P50), max(m.P99, n.P99)
		}
		for _, b := range s.Backends {
			backends[b.Name] += b.Requests
		}
		meanNs += float64(s.Latency.Mean) * float64(s.Requests)
		out.Latency.Max = max(out.Latency.Max, s.Latency.Max)
		out.Histogram = out.Histogram.Merge(s.Histogram)
		for _, sec := range s.Timeline {
			sec.T += shift
			out.Timeline = append(out.Timeline, sec)
		}
		for _, b := range s.Bursts {
			if b.Recovery == 0 {
				b.Recovery = time.Duration(len(s.Timeline)-b.StartT) * time.Second
			}
			b.StartT += shift
			b.EndT += shift
			out.Bursts = append(out.Bursts, b)
		}
		shift += len(s.Timeline)
	}
	if busy > 0 {
		out.Rate = float64(out.Requests) / busy
	}
	if out.Throughput > 0 {
		out.Throughput = float64(out.Successes) / out.Throughput
	}
	if out.Requests > 0 {
		out.Latency.Mean = time.Duration(meanNs / float64(out.Requests))
	}
	h := out.Histogram
	out.Latency.P50, out.Latency.P90, out.Latency.P95 = h.Quantile(0.5), h.Quantile(0.9), h.Quantile(0.95)
	out.Latency.P99, out.Latency.P999 = h.Quantile(0.99), h.Quantile(0.999)
	for msg, n := range errs {
		out.ErrorSet = append(out.ErrorSet, metric.ErrorCount{Message: msg, Count: n})
	}
	slices.SortFunc(out.ErrorSet, func(a, b metric.ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Message, b.Message))
	})
	for _, n := range byName {
		out.ByName = append(out.ByName, *n)
	}
	slices.SortFunc(out.ByName, func(a, b metric.NamedRequests) int { return strings.Compare(a.Name, b.Name) })
	var named uint64
	for _, n := range backends {
		named += n
	}
	for name, n := range backends {
		out.Backends = append(out.Backends, metric.Backend{Name: name, Requests: n, Share: float64(n) / float64(named)})
	}
	slices.SortFunc(out.Backends, func(a, b metric.Backend) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// poolChecks keeps each check of the first trial, passed only when it
// passed in every trial that has it.
func poolChecks(trials []*Report, ts []Trial) []CheckResult {
	var out []CheckResult
	for i, c := range trials[0].Checks {
		pooled := c
		pooled.Passed = true
		var failed, values []string
		for j, t := range trials {
			k := slices.IndexFunc(t.Checks, func(x CheckResult) bool { return x.Expr == c.Expr })
			if k < 0 && i < len(t.Checks) {
				k = i
			}
			if k < 0 {
				continue
			}
			tc := t.Checks[k]
			values = append(values, tc.Actual)
			pooled.NoData = pooled.NoData || tc.NoData
			if !tc.Passed || tc.NoData {
				if pooled.Passed {
					pooled.Actual, pooled.ActualValue = tc.Actual, tc.ActualValue
				}
				pooled.Passed = false
				failed = append(failed, ts[j].Dir)
			}
		}
		pooled.Message = fmt.Sprintf("per trial: %s", strings.Join(values, ", "))
		if len(failed) > 0 {
			pooled.Message = fmt.Sprintf("failed in %d of %d trials (%s); %s", len(failed), len(trials), strings.Join(failed, ", "), pooled.Message)
		}
		out = append(out, pooled)
	}
	return out
}

// LoadRun reads a run as drill compare takes it: a report file or run
// directory (see Load), or the directory of a repeated run, whose trials
// (trial-N/report.json) it pools with Pool.
func LoadRun(path string) (*Report, error) {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return Load(path)
	}
	if _, err := os.Stat(filepath.Join(path, FileName)); err == nil {
		return Load(path)
	}
	trials, dirs, err := LoadTrials(path)
	if err != nil {
		return nil, err
	}
	if len(trials) == 0 {
		return Load(path)
	}
	return Pool(trials, dirs), nil
}

// LoadTrials reads the reports of a repeated run's trials in trial order,
// with their directories relative to dir; none when dir has no trial
// directory. A trial directory without a report (the trial did not start
// or was cut short) is left out.
func LoadTrials(dir string) ([]*Report, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("load trials: %w", err)
	}
	var nums []int
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), trialPrefix))
		if e.IsDir() && strings.HasPrefix(e.Name(), trialPrefix) && err == nil && n > 0 {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	var out []*Report
	var dirs []string
	for _, n := range nums {
		file := filepath.Join(dir, TrialDir(n), FileName)
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		r, err := Load(file)
		if err != nil {
			return nil, nil, err
		}
		out, dirs = append(out, r), append(dirs, TrialDir(n))
	}
	return out, dirs, nil
}
