package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/drillkit/drill/pkg/cause"
	"github.com/drillkit/drill/pkg/inject"
	"github.com/drillkit/drill/pkg/report"
)

// runFiles are the files a run writes into its directory, the only ones
// ClaimDir removes.
var runFiles = []string{report.FileName, ResultsFile, inject.JournalFile, ReserveFile, cause.BalancerFile, report.PooledFileName}

// ClaimDir makes dir ready to receive a new run. A directory that does not
// exist or is empty is fine. Any other is refused, naming the directory and
// --overwrite, unless overwrite is set: then the files of the run it holds
// (and of the matrix combinations and trials in its subdirectories) are
// removed and nothing else is. Even with overwrite a directory whose
// journal lists a fault not yet recovered is refused: drill recover must
// run first.
func ClaimDir(dir string, overwrite bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run directory %s: %w", dir, err)
	}
	if !overwrite {
		return fmt.Errorf("run directory %s already exists and is not empty (a previous run?): pass --overwrite to replace its run, or choose another --dir", dir)
	}
	dirs := append(runDirs(dir, 2), dir)
	for _, d := range dirs {
		if err := unrecovered(d); err != nil {
			return err
		}
	}
	for _, d := range dirs {
		for _, name := range runFiles {
			if err := os.Remove(filepath.Join(d, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("--overwrite %s: %w", dir, err)
			}
		}
		if d != dir {
			_ = os.Remove(d) // only when nothing else is left in it
		}
	}
	return nil
}

// runDirs lists the subdirectories of dir, down to depth, that hold a
// run's files (matrix combinations, their trials), the deepest first.
func runDirs(dir string, depth int) []string {
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() || depth < 1 {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		nested := runDirs(sub, depth-1)
		out = append(out, nested...)
		if len(nested) > 0 || holdsRun(sub) {
			out = append(out, sub)
		}
	}
	return out
}

// holdsRun reports whether dir holds one of the files a run writes.
func holdsRun(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return slices.Contains(runFiles, e.Name()) })
}

// unrecovered refuses a run directory whose journal still lists a fault.
func unrecovered(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, inject.JournalFile)); err != nil {
		return nil
	}
	j, err := inject.LoadJournal(dir)
	if err != nil {
		return fmt.Errorf("--overwrite %s: %w", dir, err)
	}
	if _, pending, err := j.Pending(); err != nil || len(pending) > 0 {
		return fmt.Errorf("run directory %s has faults not recovered (%s): run drill recover %s before overwriting it", dir, j.Path(), dir)
	}
	return nil
}
