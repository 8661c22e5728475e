// Package scenario reads drill scenario files: YAML documents that say
// where the system under test lives, what load to drive through it, which
// faults to inject when, what to sample, and which checks decide whether
// the run passed.
//
// Parsing is strict. Every problem in a file is reported at once, each with
// file:line:column and the field path: unknown fields (with the closest
// known name), wrong types, malformed durations, rates and expressions,
// missing fields and impossible combinations. Defaults are filled in after
// parsing, so a Scenario is plain data the runner can read as it is.
//
// Explain documents the format; it is generated from the same struct tags
// that drive the parser, so the two cannot drift apart.
package scenario
