package advise

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Level is how bad a finding is.
type Level string

// Levels, worst first.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelInfo    Level = "info"
)

// Rule is one check of the manifests.
type Rule struct {
	ID    string
	Level Level
	// Summary says in one line what the rule flags.
	Summary string
	// Why is the mechanism: what goes wrong in a rollout.
	Why string
	// Evidence is the number behind the rule, measured by drill or
	// documented, with where it comes from.
	Evidence string
	// Sources are the documents and issues Evidence cites.
	Sources []string
	// Fix is what to change.
	Fix string
	// check runs over the manifests' workloads; live over a live
	// cluster's nodes (AnalyzeNodes).
	check func(*model, *workload) []issue
	live  func(NodeConntrack) []issue
}

// issue is one problem a rule found.
type issue struct {
	at     Object // the object, with the line at fault
	level  Level  // "": the rule's
	reason string
	fix    string // "": the rule's
}

// Finding is one problem in the manifests.
type Finding struct {
	Rule     string `json:"rule"`
	Level    Level  `json:"level"`
	Object   Object `json:"object"`
	Reason   string `json:"reason"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
}

// Rules lists every rule, in the order of docs/advise.md.
func Rules() []Rule {
	return []Rule{
		preStopMissing(),
		preStopShort(),
		gracePeriodShort(),
		readinessGateMissing(),
		rolloutNoCapacity(),
		pdbMissing(),
		keepAliveBelowIdleTimeout(),
		healthCheckSlowerThanMinReady(),
		conntrackHeadroom(),
	}
}

// Analyze runs every rule over m. The error lists the annotations and
// options it could not read.
func Analyze(m *Manifests, opts Options) ([]Finding, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	md, err := newModel(m, opts)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range Rules() {
		if r.check == nil {
			continue
		}
		for _, w := range md.workloads {
			for _, is := range r.check(md, w) {
				out = append(out, r.finding(is))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Object.File, b.Object.File), cmp.Compare(a.Object.Line, b.Object.Line))
	})
	return out, nil
}

// finding is the finding of an issue r found.
func (r Rule) finding(is issue) Finding {
	return Finding{Rule: r.ID, Level: cmp.Or(is.level, r.Level), Object: is.at, Reason: is.reason, Evidence: r.Evidence, Fix: cmp.Or(is.fix, r.Fix)}
}

// HasErrors tells whether a finding is of level error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Level == LevelError })
}

// inSeconds prints d in seconds for a reason ("15 s", "1.5 s").
func inSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// fronts lists load balancers for a reason.
func fronts(fs []front) string {
	var names []string
	for _, f := range fs {
		if !slices.Contains(names, f.String()) {
			names = append(names, f.String())
		}
	}
	return strings.Join(names, "; ")
}

// ceilSeconds is d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
