package metric

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Aggregate reads results in vegeta's gob encoding (a results.bin written
// during a run, or `vegeta attack` output) and returns their Summary. With a
// zero opts.Start the timeline starts at the first result in the stream. A
// stream cut short (a run that was killed mid-write) yields the summary of
// its complete results together with an error wrapping io.ErrUnexpectedEOF.
func Aggregate(r io.Reader, opts Options) (Summary, error) {
	rec := New(opts)
	dec := vegeta.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var res vegeta.Result
	for n := 0; ; n++ {
		reset(&res)
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return rec.Summary(), fmt.Errorf("read results: stream cut short after %d results: %w", n, err)
		}
		if err != nil {
			return Summary{}, fmt.Errorf("read results: result %d: %w; is this a results.bin from drill or vegeta?", n+1, err)
		}
		rec.Add(&res)
	}
	return rec.Summary(), nil
}

// reset zeroes a result for the next decode, keeping its header map and body
// buffer: gob leaves fields absent from the stream (zero values) untouched
// and decodes maps and slices into what is there. The Recorder keeps neither.
func reset(r *vegeta.Result) {
	h, body := r.Headers, r.Body[:0]
	clear(h)
	*r = vegeta.Result{Headers: h, Body: body}
}
