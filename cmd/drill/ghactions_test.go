package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/drillkit/drill/pkg/report/render"
)

// The GitHub Actions example (docs/ci.md, "GitHub Actions") cannot run
// here; these types are what its files may hold, so that decoding them
// strictly catches a misspelt key.
type (
	ghStep struct {
		ID               string            `yaml:"id"`
		Name             string            `yaml:"name"`
		If               string            `yaml:"if"`
		Uses             string            `yaml:"uses"`
		Run              string            `yaml:"run"`
		Shell            string            `yaml:"shell"`
		WorkingDirectory string            `yaml:"working-directory"`
		With             map[string]string `yaml:"with"`
		Env              map[string]string `yaml:"env"`
	}
	ghWorkflow struct {
		Name        string            `yaml:"name"`
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			If             string   `yaml:"if"`
			RunsOn         string   `yaml:"runs-on"`
			TimeoutMinutes int      `yaml:"timeout-minutes"`
			Steps          []ghStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	ghAction struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
		Inputs      map[string]struct {
			Description string `yaml:"description"`
			Default     string `yaml:"default"`
			Required    bool   `yaml:"required"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Description string `yaml:"description"`
			Value       string `yaml:"value"`
		} `yaml:"outputs"`
		Runs struct {
			Using string   `yaml:"using"`
			Steps []ghStep `yaml:"steps"`
		} `yaml:"runs"`
	}
)

const (
	exampleWorkflow = ".github/workflows/drill-example.yml"
	drillAction     = ".github/actions/drill/action.yml"
)

// decodeStrict decodes the repository file path into v, refusing keys v
// does not have.
func decodeStrict(t *testing.T, path string, v any) string {
	t.Helper()
	text := readDoc(t, path)
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return text
}

// TestGitHubActionsExample checks the example workflow and its composite
// action: both parse; the workflow runs on pull requests on ubuntu-latest,
// only behind its repository variable (this repository's CI is .ci/run),
// and uses the action by its path; the action builds with make targets
// that exist, caches the Makefile's cache directory, runs only drill
// commands and flags that exist, uploads the HTML and JUnit reports and
// comments with the Markdown one; every repository path either names
// exists.
func TestGitHubActionsExample(t *testing.T) {
	var wf ghWorkflow
	wfText := decodeStrict(t, exampleWorkflow, &wf)
	if _, ok := wf.On["pull_request"]; !ok {
		t.Errorf("%s does not run on pull_request: %v", exampleWorkflow, wf.On)
	}
	if wf.Permissions["pull-requests"] != "write" {
		t.Errorf("%s permissions %v: the comment needs pull-requests: write", exampleWorkflow, wf.Permissions)
	}
	if len(wf.Jobs) != 1 {
		t.Fatalf("%s has %d jobs, want 1", exampleWorkflow, len(wf.Jobs))
	}
	for name, job := range wf.Jobs {
		if job.RunsOn != "ubuntu-latest" || !strings.Contains(job.If, "vars.DRILL_EXAMPLE") {
			t.Errorf("job %s runs on %q if %q: want ubuntu-latest behind vars.DRILL_EXAMPLE", name, job.RunsOn, job.If)
		}
		i := slices.IndexFunc(job.Steps, func(s ghStep) bool { return s.Uses == "./"+filepath.Dir(drillAction) })
		if i < 0 {
			t.Fatalf("job %s does not use ./%s", name, filepath.Dir(drillAction))
		}
		scenario := regexp.MustCompile(`scenarios/[a-z0-9-]+\.yaml`).FindString(job.Steps[i].With["scenario"])
		if scenario == "" || !strings.Contains(readDoc(t, scenario), "\n  lab:") {
			t.Errorf("the example's scenario %q is not a lab scenario of scenarios/", job.Steps[i].With["scenario"])
		}
	}
	if ci := readDoc(t, ".ci/run"); strings.Contains(ci, ".github") {
		t.Errorf(".ci/run refers to .github: the example must not run in this repository's CI")
	}

	var act ghAction
	actText := decodeStrict(t, drillAction, &act)
	if act.Runs.Using != "composite" || !act.Inputs["scenario"].Required {
		t.Errorf("%s: using %q, scenario required %v", drillAction, act.Runs.Using, act.Inputs["scenario"].Required)
	}
	makefile := readDoc(t, "Makefile")
	if !strings.Contains(makefile, "CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/drill") {
		t.Errorf("the Makefile's CACHE is not ~/.cache/drill: update the action's cache path")
	}
	pinned := regexp.MustCompile(`^actions/[a-z-]+@v[0-9]+$`)
	var targets, uses []string
	for i, s := range act.Runs.Steps {
		if (s.Run == "") == (s.Uses == "") || (s.Run != "" && s.Shell != "bash") {
			t.Errorf("step %d (%s): want either run (with shell: bash) or uses", i+1, s.Name)
		}
		if s.Uses != "" {
			uses = append(uses, strings.Split(s.Uses, "@")[0])
			if !pinned.MatchString(s.Uses) {
				t.Errorf("step %d uses %q: want an actions/ action pinned to a major version", i+1, s.Uses)
			}
		}
		if s.Uses == "actions/cache@v4" && s.With["path"] != "~/.cache/drill" {
			t.Errorf("the cache step caches %q, want ~/.cache/drill", s.With["path"])
		}
		if s.Uses == "actions/upload-artifact@v4" {
			for _, f := range []string{"drill-report.html", "drill-junit.xml"} {
				if !strings.Contains(s.With["path"], f) {
					t.Errorf("the artifact lacks %s: %q", f, s.With["path"])
				}
			}
		}
		for _, m := range regexp.MustCompile(`(?m)\bmake ([a-z ]+)$`).FindAllStringSubmatch(s.Run, -1) {
			targets = append(targets, strings.Fields(m[1])...)
		}
		checkDrillCommands(t, i+1, s.Run)
	}
	for _, want := range []string{"actions/setup-go", "actions/cache", "actions/upload-artifact"} {
		if !slices.Contains(uses, want) {
			t.Errorf("%s does not use %s", drillAction, want)
		}
	}
	slices.Sort(targets)
	if want := []string{"build", "containerd", "deps", "kube"}; !slices.Equal(targets, want) {
		t.Errorf("the action makes %v, want %v", targets, want)
	}
	for _, target := range targets {
		if !regexp.MustCompile(`(?m)^` + target + `:`).MatchString(makefile) {
			t.Errorf("the Makefile has no target %s", target)
		}
	}
	if !strings.Contains(actText, "gh pr comment") || !strings.Contains(actText, "--body-file drill-reports/drill-comment.md") {
		t.Errorf("%s does not comment with the Markdown report", drillAction)
	}

	ignored := ignoredDirs(t)
	for file, text := range map[string]string{exampleWorkflow: wfText, drillAction: actText} {
		for _, p := range repoPaths(text) {
			if slices.ContainsFunc(ignored, func(d string) bool { return within(p, d) }) {
				continue
			}
			if _, err := os.Stat(filepath.Join("..", "..", p)); err != nil {
				t.Errorf("%s names %s, which is not in the repository", file, p)
			}
		}
	}
	if !strings.Contains(readDoc(t, "docs/ci.md"), "\n## GitHub Actions\n") {
		t.Errorf("docs/ci.md has no section GitHub Actions")
	}
}

// checkDrillCommands fails for every `"$DRILL" COMMAND ARGS` in script
// whose command, flag or output format drill does not have.
func checkDrillCommands(t *testing.T, step int, script string) {
	t.Helper()
	root := newRoot(&app{stdout: io.Discard, stderr: io.Discard})
	for _, m := range regexp.MustCompile(`"\$DRILL" ([a-z-]+)([^\n>]*)`).FindAllStringSubmatch(script, -1) {
		cmd, _, err := root.Find([]string{m[1]})
		if err != nil || cmd.Name() != m[1] {
			t.Errorf("step %d runs drill %s, which drill does not have", step, m[1])
			continue
		}
		words := strings.Fields(m[2])
		for i, w := range words {
			if !strings.HasPrefix(w, "-") {
				continue
			}
			f := cmd.Flags().Lookup(strings.TrimLeft(w, "-"))
			if !strings.HasPrefix(w, "--") {
				f = cmd.Flags().ShorthandLookup(strings.TrimLeft(w, "-"))
			}
			if f == nil {
				t.Errorf("step %d: drill %s has no flag %s", step, m[1], w)
				continue
			}
			if f.Name == "output" && i+1 < len(words) && !slices.Contains(render.Formats, words[i+1]) {
				t.Errorf("step %d: drill %s -o %s: formats are %v", step, m[1], words[i+1], render.Formats)
			}
		}
	}
}

// repoPaths are the repository paths text names: under one of the
// repository's top directories, or after an expression for drill's root
// (`}}/go.mod`).
func repoPaths(text string) []string {
	re := regexp.MustCompile(`(?:\.github|\.ci|scenarios|docs|kube|scripts|deploy|pkg|cmd|tools)/[A-Za-z0-9_./-]*[A-Za-z0-9_]|\}\}/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*)`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		p := m[0]
		if m[1] != "" {
			p = m[1]
		}
		out = append(out, strings.TrimPrefix(p, "./"))
	}
	return out
}

// ignoredDirs are the directories .gitignore names (build outputs, which a
// checkout does not hold).
func ignoredDirs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(readDoc(t, ".gitignore"), "\n") {
		if strings.HasPrefix(line, "/") && strings.HasSuffix(line, "/") {
			out = append(out, strings.Trim(line, "/"))
		}
	}
	return out
}
