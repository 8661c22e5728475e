package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md from the command tree")

const cliDoc = "../../docs/cli.md"

// TestCLIDocUpToDate holds docs/cli.md to the command tree: every command,
// its usage, examples and flags. go generate ./cmd/drill (or make docs)
// rewrites it.
func TestCLIDocUpToDate(t *testing.T) {
	var b bytes.Buffer
	writeCLIDoc(&b, newRoot(&app{stdout: io.Discard, stderr: io.Discard}))
	if *update {
		if err := os.WriteFile(cliDoc, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatalf("%v (run go generate ./cmd/drill to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("docs/cli.md is stale: run go generate ./cmd/drill (or make docs) and review the diff")
	}
	for _, name := range []string{"run", "validate", "lab up", "completion bash"} {
		if !strings.Contains(b.String(), "\n## drill "+name+"\n") {
			t.Errorf("docs/cli.md has no section for drill %s", name)
		}
	}
}

// writeCLIDoc writes the Markdown reference of every visible command.
func writeCLIDoc(w io.Writer, root *cobra.Command) {
	fmt.Fprint(w, "# drill command line\n\n")
	fmt.Fprint(w, "<!-- Generated from the command tree by `go generate ./cmd/drill` (make docs); do not edit. -->\n\n")
	fmt.Fprint(w, "Every command takes `-h`/`--help`; `drill help COMMAND` prints the same. Flags are long\n"+
		"(`--flag value` or `--flag=value`), a few with a one-letter short form (`-o`), and may come\n"+
		"before, between or after the arguments; `--` ends the flags. Shell completion:\n"+
		"`source <(drill completion bash)` (also zsh, fish, powershell).\n\n"+
		"drill runs on Linux, macOS and Windows. `lab`, `agent`, `flood` and `conntrack-flush` need Linux\n"+
		"(network namespaces, netfilter, cgroups): elsewhere they say so in one line and exit 1.\n\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && (!c.IsAvailableCommand() && c.Name() != "help") {
			return
		}
		writeCommandDoc(w, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func writeCommandDoc(w io.Writer, c *cobra.Command) {
	fmt.Fprintf(w, "## %s\n\n", c.CommandPath())
	desc := c.Long
	if desc == "" {
		desc = c.Short + "."
	}
	fmt.Fprintf(w, "%s\n\n", desc)
	fmt.Fprintf(w, "```\n%s\n```\n\n", c.UseLine())
	if c.Example != "" {
		fmt.Fprintf(w, "Examples:\n\n```\n%s\n```\n\n", c.Example)
	}
	if subs := visible(c.Commands()); len(subs) > 0 {
		fmt.Fprint(w, "Commands:\n\n")
		for _, s := range subs {
			fmt.Fprintf(w, "- [`%s`](#%s): %s\n", s.CommandPath(), anchor(s.CommandPath()), s.Short)
		}
		fmt.Fprintln(w)
	}
	if f := c.NonInheritedFlags(); f.HasAvailableFlags() {
		fmt.Fprintf(w, "Flags:\n\n```\n%s```\n\n", f.FlagUsagesWrapped(100))
	}
}

func visible(cmds []*cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range cmds {
		if c.IsAvailableCommand() || c.Name() == "help" {
			out = append(out, c)
		}
	}
	return out
}

// anchor is the GitHub anchor of a "## drill lab up" heading.
func anchor(path string) string { return strings.ReplaceAll(path, " ", "-") }
