package render

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/report/reporttest"
)

func TestJUnitIsWellFormed(t *testing.T) {
	r := reporttest.Failed()
	r.Status = report.StatusError
	r.IncompleteReason = "lab setup failed: etcd did not start"
	var buf bytes.Buffer
	if err := Report(&buf, r, FormatJUnit); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit output does not parse: %v", err)
	}
	if doc.Tests != 5 || doc.Failures != 3 || doc.Errors != 1 {
		t.Errorf("tests/failures/errors = %d/%d/%d, want 5/3/1", doc.Tests, doc.Failures, doc.Errors)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("suites = %d, want 1", len(doc.Suites))
	}
	run := doc.Suites[0].Cases[0]
	if run.Error == nil || run.Error.Message != r.IncompleteReason {
		t.Errorf("run testcase = %+v, want an error with the reason", run)
	}
	if c := doc.Suites[0].Cases[1]; c.Name != "success_rate >= 99.9%" || c.Failure == nil {
		t.Errorf("first check testcase = %+v, want the failed success_rate check", c)
	}
}
