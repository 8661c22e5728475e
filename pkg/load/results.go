package load

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ResultsWriter streams results in vegeta's gob encoding, the format
// `vegeta attack` writes, so that `vegeta report` and `vegeta plot` read the
// file. Results are encoded into memory and reach the underlying writer only
// as whole records: when ResultsBuffer bytes are pending and on every Flush
// (a run flushes at least every second). A process killed at any moment
// therefore leaves a file that ends on a whole record, readable up to there.
//
// The first write error sticks: it is returned by every later Write, Flush
// and Close, and nothing more is written. When the underlying writer can be
// truncated (an *os.File), a failed write is cut back to the last whole
// record, so a full disk leaves a readable file too.
//
// Write and Flush are safe for concurrent use; the disk write of a Flush
// does not hold up Write.
type ResultsWriter struct {
	w io.Writer

	mu      sync.Mutex // guards the fields below
	pending *bytes.Buffer
	spare   *bytes.Buffer
	enc     vegeta.Encoder
	err     error
	n       uint64 // results encoded

	flushMu sync.Mutex // one disk write at a time, in order
	written int64      // bytes of whole records on w
	stored  uint64     // results on w
}

// ResultsBuffer is how many bytes of encoded results a ResultsWriter holds
// before it writes them through without waiting for a Flush.
const ResultsBuffer = 256 << 10

// NewResultsWriter returns a writer of results to w. Close flushes it; the
// caller closes w.
func NewResultsWriter(w io.Writer) *ResultsWriter {
	rw := &ResultsWriter{w: w, pending: new(bytes.Buffer), spare: new(bytes.Buffer)}
	rw.enc = vegeta.NewEncoder(encodeInto{rw})
	return rw
}

// encodeInto lets the one gob encoder of a ResultsWriter write into
// whichever buffer is pending (the encoder keeps its type information
// across buffers, which become one stream on disk).
type encodeInto struct{ rw *ResultsWriter }

func (e encodeInto) Write(p []byte) (int, error) { return e.rw.pending.Write(p) }

// Write encodes one result.
func (w *ResultsWriter) Write(r *vegeta.Result) error {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	if err := w.enc.Encode(r); err != nil {
		w.err = fmt.Errorf("write results: %w", err)
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.n++
	full := w.pending.Len() >= ResultsBuffer
	w.mu.Unlock()
	if full {
		return w.Flush()
	}
	return nil
}

// Flush writes the pending results through to the underlying writer.
func (w *ResultsWriter) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	if w.err != nil || w.pending.Len() == 0 {
		err := w.err
		w.mu.Unlock()
		return err
	}
	buf, n := w.pending, w.n
	w.pending, w.spare = w.spare, buf
	w.mu.Unlock()

	written, err := w.w.Write(buf.Bytes())
	buf.Reset()
	if err == nil {
		w.written += int64(written)
		w.stored = n
		return nil
	}
	err = fmt.Errorf("write results: %w", err)
	if t, ok := w.w.(interface{ Truncate(int64) error }); ok && written > 0 {
		if terr := t.Truncate(w.written); terr != nil {
			err = fmt.Errorf("%w; cutting it back to its last whole result failed too: %v", err, terr)
		}
	}
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	return err
}

// Stored returns how many results have reached the underlying writer.
func (w *ResultsWriter) Stored() uint64 {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	return w.stored
}

// Close flushes the pending results and returns the first error of the
// writer's life.
func (w *ResultsWriter) Close() error { return w.Flush() }
