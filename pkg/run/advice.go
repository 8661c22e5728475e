package run

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/drillkit/drill/pkg/advise"
	"github.com/drillkit/drill/pkg/scenario"
)

// AdvicePrefix begins every note of drill advise's findings on a run's
// setup.
const AdvicePrefix = "advise: "

// adviceNotes runs drill advise's rules over the setup objects the run
// applies (docs/advise.md) and words each finding as a report note, with
// its level; they do not change the verdict. The files' own lines are
// cited unless a matrix variant patched the objects, which are then read
// as patched.
func adviceNotes(sc *scenario.Scenario, objs []*unstructured.Unstructured) []string {
	var (
		m   *advise.Manifests
		err error
	)
	patched := sc.Patch != (scenario.SetupPatch{})
	if patched {
		var buf bytes.Buffer
		for _, o := range objs {
			data, merr := yaml.Marshal(o.Object)
			if merr != nil {
				return []string{AdvicePrefix + "not analysed: " + merr.Error()}
			}
			buf.WriteString("---\n")
			buf.Write(data)
		}
		m, err = advise.ReadData("setup (as patched by "+sc.Variant+")", buf.Bytes())
	} else {
		m, err = advise.Read(sc.SetupFiles())
	}
	if err != nil {
		return []string{AdvicePrefix + "not analysed: " + err.Error()}
	}
	findings, err := advise.Analyze(m, advise.Options{})
	if err != nil {
		return []string{AdvicePrefix + "not analysed: " + err.Error()}
	}
	notes := make([]string, 0, len(findings))
	for _, f := range findings {
		at := f.Object.String()
		if f.Object.File != "" && !patched {
			at += fmt.Sprintf(" (%s:%d)", f.Object.File, f.Object.Line)
		}
		notes = append(notes, fmt.Sprintf("%s%s %s: %s: %s; fix: %s", AdvicePrefix, f.Level, f.Rule, at, f.Reason, f.Fix))
	}
	return notes
}
