package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/conntrack"
)

// maxFlushFor bounds how long `drill conntrack-flush --every` goes on.
const maxFlushFor = time.Hour

// filterFlags collects repeated --match flags.
type filterFlags []conntrack.Filter

func (f *filterFlags) String() string {
	var s []string
	for _, x := range *f {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

// Type names the flag's value in help.
func (f *filterFlags) Type() string { return "FILTER" }

func (f *filterFlags) Set(v string) error {
	x, err := conntrack.ParseFilter(v)
	if err != nil {
		return err
	}
	*f = append(*f, x)
	return nil
}

// newConntrackFlushCmd is `drill conntrack-flush`, which the
// conntrackFlush fault runs in a pod on each target node: it deletes the
// conntrack entries of its network namespace (the node's) that a filter
// selects, once or every --every for --for, and logs what each flush did.
func newConntrackFlushCmd(a *app) *cobra.Command {
	var (
		filters    filterFlags
		all        bool
		every, dur time.Duration
	)
	cmd := &cobra.Command{
		Use:   "conntrack-flush --match FILTER... [flags]",
		Short: "Delete conntrack entries by port and destination (the conntrackFlush workload)",
		Long:  "Deletes this network namespace's conntrack entries selected by a filter, as conntrack -D does; the conntrackFlush fault's workload.",
		Args:  cobra.NoArgs,
		RunE: a.body(func(cmd *cobra.Command, _ []string) int {
			return conntrackFlushRun(cmd.Context(), filters, all, every, dur, a.stdout, a.stderr)
		}),
	}
	fs := cmd.Flags()
	fs.Var(&filters, "match", "`FILTER`: entries to delete, by the client's destination: proto=tcp,port=31080,dst=10.96.0.10 (any subset; repeatable; \"all\" needs --all)")
	fs.BoolVar(&all, "all", false, "allow a filter that selects every entry of its protocol (no port, no dst)")
	fs.DurationVar(&every, "every", 0, "flush again at this interval (0: once)")
	fs.DurationVar(&dur, "for", time.Minute, fmt.Sprintf("with --every: stop after this long (at most %s)", maxFlushFor))
	return cmd
}

func conntrackFlushRun(ctx context.Context, filters filterFlags, all bool, every, dur time.Duration, stdout, stderr io.Writer) int {
	var problems []string
	if len(filters) == 0 {
		problems = append(problems, "give at least one --match")
	}
	for _, f := range filters {
		if f.MatchesAll() && !all {
			problems = append(problems, fmt.Sprintf("--match %s selects every entry: give a port or dst, or --all", f))
		}
	}
	if every < 0 || (every > 0 && (dur <= 0 || dur > maxFlushFor)) {
		problems = append(problems, fmt.Sprintf("--every %s --for %s: want every ≥ 0 and for within (0, %s]", every, dur, maxFlushFor))
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "drill conntrack-flush: %s\n", strings.Join(problems, "; "))
		return 2
	}
	fmt.Fprintf(stdout, "drill conntrack-flush: %s every %s for %s\n", filters.String(), every, dur)
	end := time.Now().Add(dur)
	failed := false
	for {
		r := conntrack.Record{Time: time.Now().UTC()}
		fl, err := conntrack.Flush(filters)
		r.Flushed = fl
		if err != nil {
			r.Error = err.Error()
			failed = true
			fmt.Fprintf(stderr, "drill conntrack-flush: %v\n", err)
		}
		fmt.Fprintln(stdout, r.Line())
		if every == 0 || time.Now().Add(every).After(end) {
			break
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(every):
		}
	}
	if failed {
		return 1
	}
	return 0
}
