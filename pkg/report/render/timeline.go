package render

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/internal/human"
)

// Windows around an error burst whose events are shown with it: the events
// that may have caused it (before) and the ones that ended it (after).
const (
	BurstContextBefore = 10 * time.Second
	BurstContextAfter  = 5 * time.Second
)

// sparkWidth is the most characters a sparkline takes; longer runs put
// several seconds in one character.
const sparkWidth = 90

// maxSeconds bounds the timeline a rendering lays out (a week), so a
// corrupt offset in a report cannot make it allocate without limit.
const maxSeconds = 7 * 24 * 3600

var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// dense returns the timeline indexed by second, with zero seconds where the
// summary has none, and how many seconds it spans.
func dense(tl []report.Second) []report.Second {
	n := 0
	for _, s := range tl {
		if s.T < maxSeconds {
			n = max(n, s.T+1)
		}
	}
	out := make([]report.Second, n)
	for i := range out {
		out[i].T = i
	}
	for _, s := range tl {
		if s.T >= 0 && s.T < n {
			out[s.T] = s
		}
	}
	return out
}

// sparklines draws the failed share and the p99 of every second (or group of
// seconds) as one line each.
func sparklines(tl []report.Second) []string {
	secs := dense(tl)
	if len(secs) == 0 {
		return nil
	}
	per := int(math.Ceil(float64(len(secs)) / sparkWidth))
	var errs, lat strings.Builder
	var maxP99 time.Duration
	for _, s := range secs {
		maxP99 = max(maxP99, s.P99)
	}
	for i := 0; i < len(secs); i += per {
		group := secs[i:min(i+per, len(secs))]
		var req uint64
		worstShare := 0.0
		var p99 time.Duration
		for _, s := range group {
			req += s.Requests
			if s.Requests > 0 {
				fails := s.Requests - min(s.Successes, s.Requests)
				worstShare = math.Max(worstShare, float64(fails)/float64(s.Requests))
			}
			p99 = max(p99, s.P99)
		}
		switch {
		case req == 0:
			errs.WriteRune(' ')
			lat.WriteRune(' ')
			continue
		case worstShare == 0:
			errs.WriteRune('·')
		default:
			errs.WriteRune(level(worstShare))
		}
		if maxP99 > 0 {
			lat.WriteRune(level(float64(p99) / float64(maxP99)))
		} else {
			lat.WriteRune(sparkLevels[0])
		}
	}
	unit := "1 char = 1s"
	if per > 1 {
		unit = fmt.Sprintf("1 char = %ds, worst second shown", per)
	}
	return []string{
		fmt.Sprintf("failed %s  (height = failed share; · = none)", "|"+errs.String()+"|"),
		fmt.Sprintf("p99    %s  (full height = %s)", "|"+lat.String()+"|", human.Duration(maxP99)),
		fmt.Sprintf("       0s .. %ds, %s", len(secs), unit),
	}
}

// level maps a fraction in (0, 1] to a block character, the smallest
// non-zero fraction still visible.
func level(f float64) rune {
	i := int(math.Ceil(f*float64(len(sparkLevels)))) - 1
	return sparkLevels[max(0, min(i, len(sparkLevels)-1))]
}

// windowSize picks the width of a timeline table row: 10 seconds, more for
// long runs so the table stays within about 30 rows.
func windowSize(seconds int) int {
	w := 10
	for seconds > w*30 {
		w *= 2
	}
	return w
}

// timelineTable aggregates the per-second timeline into windows.
func timelineTable(tl []report.Second) *table {
	secs := dense(tl)
	t := newTable("window", "requests", "success", "failed", "non-2xx codes", "errors", "worst p99").alignRight(1, 2, 3, 6)
	size := windowSize(len(secs))
	for start := 0; start < len(secs); start += size {
		group := secs[start:min(start+size, len(secs))]
		var req, ok uint64
		codes := map[string]uint64{}
		errs := map[string]uint64{}
		var p99 time.Duration
		for _, s := range group {
			req += s.Requests
			ok += min(s.Successes, s.Requests)
			for c, n := range s.Codes {
				if !strings.HasPrefix(c, "2") {
					codes[c] += n
				}
			}
			for c, n := range s.Errors {
				errs[c] += n
			}
			p99 = max(p99, s.P99)
		}
		success := "-"
		if req > 0 {
			success = human.Rate(float64(ok) / float64(req))
		}
		t.add(fmt.Sprintf("%ds-%ds", start, start+len(group)),
			fmt.Sprint(req), success, fmt.Sprint(req-ok), fmtCounts(codes), fmtCounts(errs), human.Duration(p99))
	}
	return t
}

// fmtCounts formats counts as "502×12 503×3", largest first.
func fmtCounts(m map[string]uint64) string {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// eventsAround returns the events from BurstContextBefore before the burst
// began until BurstContextAfter after it ended.
func eventsAround(events []report.Event, b report.Burst) []report.Event {
	from := time.Duration(b.StartT)*time.Second - BurstContextBefore
	to := time.Duration(b.EndT)*time.Second + BurstContextAfter
	var out []report.Event
	for _, e := range events {
		if e.T >= from && e.T <= to {
			out = append(out, e)
		}
	}
	return out
}

// maxBackendColumns is the most backends the per-window backend table shows
// as columns; the rest are added up in one column.
const maxBackendColumns = 8

// backendOrder names the backends in the order they first answered, those
// first answering in the same second by name.
func backendOrder(secs []report.Second) []string {
	var order []string
	seen := map[string]bool{}
	for _, s := range secs {
		for _, b := range sortedKeys(s.Backends) {
			if !seen[b] {
				seen[b] = true
				order = append(order, b)
			}
		}
	}
	return order
}

// backendTable shows each window's responses per backend, backends in the
// order they first answered, so a rollout reads from left to right: old pods
// fade out, new ones take over. nil when fewer than two backends answered.
func backendTable(tl []report.Second) *table {
	secs := dense(tl)
	order := backendOrder(secs)
	if len(order) < 2 {
		return nil
	}
	shown := order
	others := false
	if len(order) > maxBackendColumns {
		shown, others = order[:maxBackendColumns-1], true
	}
	header := append([]string{"window"}, shown...)
	if others {
		header = append(header, fmt.Sprintf("%d others", len(order)-len(shown)))
	}
	t := newTable(header...)
	for i := 1; i < len(header); i++ {
		t.alignRight(i)
	}
	column := map[string]int{}
	for i, b := range shown {
		column[b] = i
	}
	size := windowSize(len(secs))
	for start := 0; start < len(secs); start += size {
		group := secs[start:min(start+size, len(secs))]
		counts := make([]uint64, len(header)-1)
		for _, s := range group {
			for b, n := range s.Backends {
				if c, ok := column[b]; ok {
					counts[c] += n
				} else {
					counts[len(counts)-1] += n
				}
			}
		}
		row := []string{fmt.Sprintf("%ds-%ds", start, start+len(group))}
		for _, n := range counts {
			if n == 0 {
				row = append(row, "-")
			} else {
				row = append(row, fmt.Sprint(n))
			}
		}
		t.add(row...)
	}
	return t
}

// sortedEvents returns the events in time order without changing them.
func sortedEvents(events []report.Event) []report.Event {
	out := slices.Clone(events)
	slices.SortStableFunc(out, func(a, b report.Event) int { return cmp.Compare(a.T, b.T) })
	return out
}
