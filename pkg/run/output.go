package run

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/report"
)

// output is what a run writes while its load goes on: the raw results,
// and the disk space held for its report.
type output struct {
	file    *os.File
	results *load.ResultsWriter
	space   *reserve
}

// openOutput creates the run directory and its results file, and holds
// space for the report of a run of planned length.
func openOutput(dir string, planned time.Duration) (*output, error) {
	if err := makeDir(dir); err != nil {
		return nil, &Error{Code: report.ExitError, Err: err}
	}
	f, err := os.Create(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, &Error{Code: report.ExitError, Err: fmt.Errorf("create results file: %w", err)}
	}
	space, err := reserveFor(dir, planned)
	if err != nil {
		f.Close()
		return nil, &Error{Code: report.ExitError, Err: err}
	}
	return &output{file: f, results: load.NewResultsWriter(f), space: space}, nil
}

// finish writes the results through to disk.
func (o *output) finish() error {
	err := o.results.Close()
	if serr := o.file.Sync(); serr != nil && err == nil {
		err = fmt.Errorf("write results: %w", serr)
	}
	return err
}

// close releases the space held and closes the results file.
func (o *output) close() {
	o.space.release()
	o.file.Close()
}
