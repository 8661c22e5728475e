package conntrack

import (
	"bufio"
	"encoding/json"
	"strings"
	"time"
)

// recordPrefix starts each log line of `drill conntrack-flush` that says
// what one flush did; the conntrackFlush fault reads them from the pod's log.
const recordPrefix = "drill conntrack-flush: flushed "

// Record is one flush as `drill conntrack-flush` logs it.
type Record struct {
	Time time.Time `json:"time"`
	Flushed
	// Error is set when the flush failed.
	Error string `json:"error,omitempty"`
}

// Line is r as one log line.
func (r Record) Line() string {
	b, _ := json.Marshal(r)
	return recordPrefix + string(b)
}

// Records returns the records in a log, in order; other lines are skipped.
func Records(log string) []Record {
	var out []Record
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), recordPrefix)
		if !ok {
			continue
		}
		var r Record
		if json.Unmarshal([]byte(rest), &r) == nil {
			out = append(out, r)
		}
	}
	return out
}
