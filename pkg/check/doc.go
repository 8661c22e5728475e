// Package check is drill's threshold language: the catalog of metrics a run
// produces, expressions such as "success_rate >= 99.9%" or "p99 < 300ms"
// that pass or fail a run, and abort conditions such as
// "error_rate > 20% for 10s" that stop a run early.
//
// Expressions are parsed once, validated against the metric's kind (a
// latency cannot be compared with a percentage), and evaluated against any
// Values. The package has no dependencies inside drill, so the scenario
// parser, the runner and the report can all share it.
package check
