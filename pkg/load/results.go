package load

import (
	"bufio"
	"fmt"
	"io"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ResultsWriter streams results in vegeta's gob encoding, the format
// `vegeta attack` writes, so that `vegeta report` and `vegeta plot` read the
// file. Writes are buffered; the first write error sticks and is returned by
// every later Write and by Close, so a full disk is never silently ignored.
// A ResultsWriter is not safe for concurrent use.
type ResultsWriter struct {
	buf *bufio.Writer
	enc vegeta.Encoder
	err error
}

// resultsBuffer is the size of a ResultsWriter's buffer.
const resultsBuffer = 256 << 10

// NewResultsWriter returns a writer of results to w. Close flushes it; the
// caller closes w.
func NewResultsWriter(w io.Writer) *ResultsWriter {
	buf := bufio.NewWriterSize(w, resultsBuffer)
	return &ResultsWriter{buf: buf, enc: vegeta.NewEncoder(buf)}
}

// Write encodes one result.
func (w *ResultsWriter) Write(r *vegeta.Result) error {
	if w.err != nil {
		return w.err
	}
	if err := w.enc.Encode(r); err != nil {
		w.err = fmt.Errorf("write results: %w", err)
	}
	return w.err
}

// Flush writes buffered results through to the underlying writer.
func (w *ResultsWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.buf.Flush(); err != nil {
		w.err = fmt.Errorf("write results: %w", err)
	}
	return w.err
}

// Close flushes the buffer and returns the first error of the writer's life.
func (w *ResultsWriter) Close() error { return w.Flush() }
