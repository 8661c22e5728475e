package render

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// fmtOffset formats an offset from the start of the run.
func fmtOffset(d time.Duration) string {
	return fmt.Sprintf("t=%.1fs", d.Seconds())
}

// fmtTime formats a wall-clock time in UTC.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fmtKV formats a map as "k=v k=v" in key order.
func fmtKV(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}
