package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

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

func (f *filterFlags) Set(v string) error {
	x, err := conntrack.ParseFilter(v)
	if err != nil {
		return err
	}
	*f = append(*f, x)
	return nil
}

// conntrackFlushCmd implements `drill conntrack-flush`, which the
// conntrackFlush fault runs in a pod on each target node: it deletes the
// conntrack entries of its network namespace (the node's) that a filter
// selects, once or every --every for --for, and logs what each flush did.
func conntrackFlushCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill conntrack-flush", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var filters filterFlags
	fs.Var(&filters, "match", "entries to delete, by the client's destination: proto=tcp,port=31080,dst=10.96.0.10 (any subset; repeatable; \"all\" needs --all)")
	all := fs.Bool("all", false, "allow a filter that selects every entry of its protocol (no port, no dst)")
	every := fs.Duration("every", 0, "flush again at this interval (0: once)")
	dur := fs.Duration("for", time.Minute, fmt.Sprintf("with --every: stop after this long (at most %s)", maxFlushFor))
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: drill conntrack-flush --match FILTER... [flags]\n\nDeletes this network namespace's conntrack entries selected by a filter, as conntrack -D does; the conntrackFlush fault's workload.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage(err)
	}
	var problems []string
	if len(filters) == 0 {
		problems = append(problems, "give at least one --match")
	}
	for _, f := range filters {
		if f.MatchesAll() && !*all {
			problems = append(problems, fmt.Sprintf("--match %s selects every entry: give a port or dst, or --all", f))
		}
	}
	if *every < 0 || (*every > 0 && (*dur <= 0 || *dur > maxFlushFor)) {
		problems = append(problems, fmt.Sprintf("--every %s --for %s: want every ≥ 0 and for within (0, %s]", *every, *dur, maxFlushFor))
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "drill conntrack-flush: %s\n", strings.Join(problems, "; "))
		return 2
	}
	fmt.Fprintf(stdout, "drill conntrack-flush: %s every %s for %s\n", filters.String(), *every, *dur)
	end := time.Now().Add(*dur)
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
		if *every == 0 || time.Now().Add(*every).After(end) {
			break
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*every):
		}
	}
	if failed {
		return 1
	}
	return 0
}
