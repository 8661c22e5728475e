package load

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// decodeAll reads a results file the way vegeta does and returns how many
// results it holds; a file that does not end on a whole result fails.
func decodeAll(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := vegeta.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var r vegeta.Result
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return n
		} else if err != nil {
			t.Fatalf("%s (%d bytes): result %d: %v", path, len(data), n+1, err)
		}
	}
}

func result(i int) *vegeta.Result {
	return &vegeta.Result{Attack: "r", Seq: uint64(i), Code: 200, Body: bytes.Repeat([]byte("x"), 100+i%300), Timestamp: time.Unix(0, int64(i))}
}

// TestResultsWriterFlushesWholeRecords writes more than a buffer's worth of
// results without closing the writer, as a run killed mid-way would: the
// file on disk always ends on a whole result, and after a Flush it holds
// every result written.
func TestResultsWriterFlushesWholeRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewResultsWriter(f)
	for i := 0; i < 3000; i++ { // about 1 MiB: several buffers
		if err := w.Write(result(i)); err != nil {
			t.Fatal(err)
		}
		if i%500 == 0 {
			if n := decodeAll(t, path); uint64(n) != w.Stored() {
				t.Fatalf("after %d results the file holds %d, Stored says %d", i+1, n, w.Stored())
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := decodeAll(t, path); n != 3000 || w.Stored() != 3000 {
		t.Fatalf("after Flush the file holds %d results (Stored %d), want 3000", n, w.Stored())
	}
}

// shortFile is a file on a disk that fills up after limit bytes: the write
// that crosses the limit is cut there, as write(2) does on a full disk.
type shortFile struct {
	*os.File
	limit int64
	size  int64
}

func (s *shortFile) Write(p []byte) (int, error) {
	room := s.limit - s.size
	if int64(len(p)) <= room {
		n, err := s.File.Write(p)
		s.size += int64(n)
		return n, err
	}
	n, _ := s.File.Write(p[:room])
	s.size += int64(n)
	return n, syscall.ENOSPC
}

// TestResultsWriterFullDiskCutsToWholeRecord fills the disk mid-record: the
// error sticks, and the file is cut back to the last whole result.
func TestResultsWriterFullDiskCutsToWholeRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewResultsWriter(&shortFile{File: f, limit: 700 << 10})
	var werr error
	for i := 0; i < 10000 && werr == nil; i++ {
		werr = w.Write(result(i))
	}
	if err := w.Close(); !errors.Is(err, syscall.ENOSPC) || !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("Write %v, Close %v: want ENOSPC from both", werr, err)
	}
	n := decodeAll(t, path)
	if n == 0 || uint64(n) != w.Stored() {
		t.Fatalf("the file holds %d whole results, Stored says %d", n, w.Stored())
	}
}
