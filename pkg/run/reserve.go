package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A run keeps disk space for its final report in ReserveFile while it
// writes results, and releases it just before it writes the report, so that
// whatever fills the disk meanwhile (its own results or anything else) a
// valid report is left.
const (
	// reserveBase covers a report's fixed parts: summary, latency
	// histogram, checks, score, environment (some 25 KiB indented for a
	// short run; the histogram can grow to some 80 KiB).
	reserveBase = 128 << 10
	// reservePerSecond covers a report's growth per second of the run:
	// a timeline second takes about 0.5 KiB, events come on top.
	reservePerSecond = 1 << 10
)

// reserve is disk space held for a report.
type reserve struct {
	path string
	size int64
}

// reserveFor holds space in dir for the report of a run planned to last
// planned.
func reserveFor(dir string, planned time.Duration) (*reserve, error) {
	r := &reserve{path: filepath.Join(dir, ReserveFile)}
	size := reserveBase + reservePerSecond*int64(planned/time.Second)
	if err := r.grow(size); err != nil {
		r.release()
		return nil, fmt.Errorf("not enough disk space in %s to hold %d KiB for the run's report: %w; free some, or choose another --dir or --out", dir, size>>10, err)
	}
	return r, nil
}

// grow extends the reservation to at least size bytes. It writes zeros
// rather than allocating, so that every file system (tmpfs, overlays)
// really holds the blocks.
func (r *reserve) grow(size int64) error {
	if size <= r.size {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	zeros := make([]byte, min(size-r.size, 64<<10))
	for r.size < size && err == nil {
		var n int
		n, err = f.WriteAt(zeros[:min(int64(len(zeros)), size-r.size)], r.size)
		r.size += int64(n)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// release gives the space back, for the report to use.
func (r *reserve) release() {
	if err := os.Remove(r.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = os.Truncate(r.path, 0)
	}
	r.size = 0
}
