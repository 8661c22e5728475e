package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/drillkit/drill/pkg/report"
)

// version is set at link time by the Makefile (-X main.version=...); it
// takes precedence over the module version of the build information.
var version = ""

// versionInfo is what drill knows of its own build.
type versionInfo struct {
	Version  string // the Makefile's, else the module's (v1.2.3, or (devel))
	Revision string // vcs.revision, when built from a checkout
	Time     string // vcs.time
	Modified bool   // vcs.modified: uncommitted changes
	Go       string
}

// buildVersion reads the version from the link-time value and the binary's
// build information (go install, go build in a checkout).
func buildVersion() versionInfo {
	v := versionInfo{Version: version, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

// Short is the version alone, as reports and SARIF carry it.
func (v versionInfo) Short() string { return v.Version }

func (v versionInfo) write(w io.Writer) {
	fmt.Fprintf(w, "drill %s\n", v.Version)
	if v.Revision != "" {
		mod := ""
		if v.Modified {
			mod = " (modified)"
		}
		fmt.Fprintf(w, "revision: %s%s\n", v.Revision, mod)
	}
	if v.Time != "" {
		fmt.Fprintf(w, "built from a commit of: %s\n", v.Time)
	}
	fmt.Fprintf(w, "go: %s %s/%s\n", v.Go, runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print drill's version, revision and Go version",
		Long: "Prints drill's version: the one the Makefile links in, else the module version of a go install\n" +
			"(v1.2.3, or (devel) for a build from a checkout), with the commit, whether the tree had\n" +
			"uncommitted changes, and the Go version it was built with. drill --version prints the first line.",
		Args: cobra.NoArgs,
		RunE: a.body(func(*cobra.Command, []string) int {
			buildVersion().write(a.stdout)
			return report.ExitOK
		}),
	}
}
